package org.dydit.formats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arrays written piecewise with NpzWriter and read back whole and in row blocks. */
class NpzStreamingTest {
    @TempDir
    Path tmp;

    /** An NHWC uint8 batch whose pixel (n,h,w,c) is (n*31 + h*7 + w*3 + c) mod 256. */
    private static byte[] image(int n, int h, int w) {
        byte[] b = new byte[h * w * 3];
        int k = 0;
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++) b[k++] = (byte) (n * 31 + y * 7 + x * 3 + c);
        return b;
    }

    @Test
    void streamedArraysReadBackWholeAndByRows() throws IOException {
        int n = 23;
        int h = 5;
        int w = 4;
        for (boolean comp : new boolean[] {false, true}) {
            Path f = tmp.resolve("samples" + comp + ".npz");
            try (NpzWriter z = NpzWriter.open(f, comp)) {
                try (OutputStream s = z.begin("arr_0", DType.U8, new long[] {n, h, w, 3})) {
                    for (int i = 0; i < n; i++) s.write(image(i, h, w));
                }
                z.write("mu", Tensor.ofDoubles(new long[] {2}, new double[] {0.25, -1}));
            }
            assertEquals(List.of("arr_0", "mu"), Npz.keys(f));
            assertArrayEquals(new long[] {n, h, w, 3}, Npz.info(f, "arr_0").shape());
            LinkedHashMap<String, Tensor> all = Npz.read(f);
            byte[] whole = all.get("arr_0").rawBytes();
            for (int i = 0; i < n; i++) {
                byte[] expect = image(i, h, w);
                for (int k = 0; k < expect.length; k++) assertEquals(expect[k], whole[i * expect.length + k]);
            }
            assertArrayEquals(new double[] {0.25, -1}, all.get("mu").toDoubles());
            List<Long> starts = new ArrayList<>();
            Npz.readRows(f, "arr_0", 10, (first, rows) -> {
                starts.add(first);
                byte[] r = rows.rawBytes();
                int per = h * w * 3;
                for (int i = 0; i < rows.dim(0); i++) {
                    assertArrayEquals(image((int) first + i, h, w), java.util.Arrays.copyOfRange(r, i * per, (i + 1) * per));
                }
            });
            assertEquals(List.of(0L, 10L, 20L), starts);
        }
    }

    @Test
    void wrongByteCountLeavesTheTargetUntouched() throws IOException {
        Path f = tmp.resolve("keep.npz");
        Files.writeString(f, "previous");
        IOException e = assertThrows(IOException.class, () -> {
            try (NpzWriter z = NpzWriter.open(f, false)) {
                try (OutputStream s = z.begin("x", DType.F32, new long[] {4})) {
                    s.write(new byte[12]);
                }
            }
        });
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
        assertEquals("previous", Files.readString(f));
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count(), "temp file removed");
        }
    }

    @Test
    void npyRowsAndInfo() throws IOException {
        Path f = NpyTest.resource("u1_c_v1.npy");
        assertArrayEquals(new long[] {2, 4, 4, 3}, Npy.info(f).shape());
        Tensor whole = Npy.read(f);
        List<Tensor> parts = new ArrayList<>();
        Npy.readRows(f, 1, (first, rows) -> parts.add(rows));
        assertEquals(2, parts.size());
        byte[] joined = new byte[(int) whole.byteSize()];
        System.arraycopy(parts.get(0).rawBytes(), 0, joined, 0, 48);
        System.arraycopy(parts.get(1).rawBytes(), 0, joined, 48, 48);
        assertArrayEquals(whole.rawBytes(), joined);
        FormatException e = assertThrows(FormatException.class, () -> Npy.readRows(NpyTest.resource("f4_f_v1.npy"), 1, (a, b) -> { }));
        assertTrue(e.getMessage().contains("Fortran"), e.getMessage());
    }
}
