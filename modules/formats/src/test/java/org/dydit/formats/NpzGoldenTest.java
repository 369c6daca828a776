package org.dydit.formats;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** numpy-written archives read to the values the reference stored in safetensors. */
class NpzGoldenTest {
    @TempDir
    Path tmp;

    @Test
    void refStatsStoredAndDeflatedEqualCaseMu2Sigma2() throws IOException {
        double[] mu2;
        double[] sigma2;
        long[] muShape;
        long[] sigmaShape;
        try (SafeTensors st = SafeTensors.open(Golden.path("fid/case.safetensors"))) {
            mu2 = st.doubles("mu2");
            sigma2 = st.doubles("sigma2");
            muShape = st.shape("mu2");
            sigmaShape = st.shape("sigma2");
        }
        for (String f : new String[] {"fid/ref_stats.npz", "fid/ref_stats_compressed.npz"}) {
            LinkedHashMap<String, Tensor> z = Npz.read(Golden.path(f));
            assertTrue(z.containsKey("mu") && z.containsKey("sigma"), f + " keys " + z.keySet());
            assertEquals(DType.F64, z.get("mu").dtype());
            assertArrayEquals(muShape, z.get("mu").shape(), f);
            assertArrayEquals(sigmaShape, z.get("sigma").shape(), f);
            // The same float64 values written by two writers: bit-equal.
            assertArrayEquals(mu2, z.get("mu").toDoubles(), 0.0, f + " mu");
            assertArrayEquals(sigma2, z.get("sigma").toDoubles(), 0.0, f + " sigma");
            assertEquals(z.get("sigma"), Npz.read(Golden.path(f), "sigma"));
        }
    }

    @Test
    void samplesAreUint8Nhwc() throws IOException {
        Tensor a = Npz.read(Golden.path("fid/samples.npz")).get("arr_0");
        assertEquals(DType.U8, a.dtype());
        assertEquals(4, a.rank());
        assertEquals(3, a.dim(-1));
    }

    @Test
    void goldenArchivesRewriteToEqualArrays() throws IOException {
        for (String f : new String[] {"fid/ref_stats.npz", "fid/samples.npz"}) {
            LinkedHashMap<String, Tensor> z = Npz.read(Golden.path(f));
            for (boolean compressed : new boolean[] {false, true}) {
                Path out = tmp.resolve("o" + compressed + ".npz");
                Npz.write(out, z, compressed);
                LinkedHashMap<String, Tensor> back = Npz.read(out);
                assertEquals(z.keySet(), back.keySet());
                for (Map.Entry<String, Tensor> e : z.entrySet()) assertEquals(e.getValue(), back.get(e.getKey()), f + " " + e.getKey());
            }
        }
    }
}
