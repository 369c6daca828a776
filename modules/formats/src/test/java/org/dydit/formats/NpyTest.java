package org.dydit.formats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arrays written by numpy itself (src/test/resources/npy, made by gen_npy.py there): every dtype, C and
 * Fortran order, big-endian, format versions 1 to 3. Values follow the generator's formula, recomputed here.
 */
class NpyTest {
    @TempDir
    Path tmp;

    static Path resource(String name) {
        try {
            return Paths.get(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("test resource missing: npy/" + name, e);
        }
    }

    /** gen_npy.py's value at C-order flat index i for a numpy kind. */
    static double expected(char kind, long i) {
        long v = (i * 7) % 23 - 11;
        switch (kind) {
            case 'f': return v / 4.0;
            case 'u': return v + 11;
            case 'b': return v != 0 ? 1 : 0;
            default: return v;
        }
    }

    static void assertFormula(String what, char kind, Tensor t) {
        double[] d = t.toDoubles();
        for (int i = 0; i < d.length; i++) assertEquals(expected(kind, i), d[i], 0.0, what + "[" + i + "]");
    }

    @Test
    void readsEveryNumpyLayout() throws IOException {
        Object[][] cases = {
                {"f4_c_v1", DType.F32, new long[] {2, 3, 4}, 'f'},
                {"f4_f_v1", DType.F32, new long[] {2, 3, 4}, 'f'},
                {"f8_f_v2", DType.F64, new long[] {3, 5}, 'f'},
                {"f2_c_v3", DType.F16, new long[] {4, 2}, 'f'},
                {"i8_c_v1", DType.I64, new long[] {6}, 'i'},
                {"i4_f_v1", DType.I32, new long[] {2, 2, 3}, 'i'},
                {"i2_c_v1", DType.I16, new long[] {5}, 'i'},
                {"u1_c_v1", DType.U8, new long[] {2, 4, 4, 3}, 'u'},
                {"b1_c_v1", DType.BOOL, new long[] {7}, 'b'},
                {"f4_be_v1", DType.F32, new long[] {3, 2}, 'f'},
                {"i8_be_f_v1", DType.I64, new long[] {2, 3}, 'i'},
                {"f8_0d_v1", DType.F64, new long[] {}, 'f'},
        };
        for (Object[] c : cases) {
            String name = (String) c[0];
            Tensor t = Npy.read(resource(name + ".npy"));
            assertEquals(c[1], t.dtype(), name);
            assertArrayEquals((long[]) c[2], t.shape(), name);
            assertFormula(name, (Character) c[3], t);
        }
    }

    @Test
    void numpyArchivesStoredAndDeflated() throws IOException {
        for (String f : new String[] {"mixed_stored.npz", "mixed_deflated.npz"}) {
            LinkedHashMap<String, Tensor> z = Npz.read(resource(f));
            assertEquals(java.util.List.of("f4", "u1", "f_order"), new java.util.ArrayList<>(z.keySet()), f);
            assertFormula(f + " f4", 'f', z.get("f4"));
            assertFormula(f + " u1", 'u', z.get("u1"));
            assertFormula(f + " f_order", 'f', z.get("f_order"));
            assertArrayEquals(new long[] {3, 4}, z.get("f_order").shape());
        }
    }

    @Test
    void writeThenReadIsExactForEveryNumpyDtype() throws IOException {
        long[] shape = {2, 3};
        for (DType dt : DType.values()) {
            if (dt == DType.BF16) continue;
            double[] v = new double[6];
            for (int i = 0; i < 6; i++) v[i] = dt == DType.BOOL ? i % 2 : dt == DType.U8 ? i * 40 : (i - 2) * 1.5;
            Tensor t = Tensor.ofDoubles(shape, v).cast(dt);
            Path f = tmp.resolve(dt + ".npy");
            Npy.write(f, t);
            assertEquals(t, Npy.read(f), dt.name());
            ByteArrayOutputStream bo = new ByteArrayOutputStream();
            Npy.write(bo, t);
            assertEquals(0, (bo.size() - t.byteSize()) % 64, "header padded to 64 bytes as numpy does");
            assertEquals(t, Npy.read(new ByteArrayInputStream(bo.toByteArray()), "mem"), dt.name());
        }
        Tensor scalar = Tensor.scalar(2.5);
        Npy.write(tmp.resolve("s.npy"), scalar);
        assertEquals(scalar, Npy.read(tmp.resolve("s.npy")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npy.write(tmp.resolve("b.npy"), Tensor.ofFloats(DType.BF16, new long[] {1}, new float[] {1})));
        assertTrue(e.getMessage().contains("BF16"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("b.npy")));
    }

    @Test
    void fortranReorderMatchesIndexFormula() {
        // A 2x3x4 array stored column-major: element (i,j,k) sits at i + 2j + 6k.
        long[] shape = {2, 3, 4};
        byte[] f = new byte[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) f[i + 2 * j + 6 * k] = (byte) (100 * i + 10 * j + k);
        byte[] c = Npy.fortranToC(f, shape, 1);
        int n = 0;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) assertEquals(100 * i + 10 * j + k, c[n++]);
    }

    @Test
    void npzWriteReadBothModes() throws IOException {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("mu", Tensor.ofDoubles(new long[] {3}, new double[] {1, 2, 3}));
        arrays.put("img", Tensor.ofBytes(DType.U8, new long[] {1, 2, 2, 3}, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, (byte) 255}));
        arrays.put("half", Tensor.ofFloats(DType.F16, new long[] {2}, new float[] {0.5f, -65504f}));
        for (boolean comp : new boolean[] {false, true}) {
            Path f = tmp.resolve("a" + comp + ".npz");
            Npz.write(f, arrays, comp);
            LinkedHashMap<String, Tensor> back = Npz.read(f);
            assertEquals(arrays, back);
            try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(f.toFile())) {
                assertEquals(comp ? java.util.zip.ZipEntry.DEFLATED : java.util.zip.ZipEntry.STORED, z.getEntry("mu.npy").getMethod());
            }
        }
    }
}
