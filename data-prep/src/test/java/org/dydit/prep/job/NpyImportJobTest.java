package org.dydit.prep.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.formats.Npy;
import org.dydit.formats.Tensor;
import org.dydit.prep.TestSpark;
import org.dydit.prep.dataset.LabeledTensor;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fast-DiT feature folders: {i}.npy of (1,4,32,32) float32 and (1,) int64, ordered by the number i. */
class NpyImportJobTest {
    static final int N = 23;   // beyond 10, so lexicographic order ("10" before "2") would show

    @TempDir
    Path tmp;

    static float[] latent(int i) {
        SplittableRandom r = new SplittableRandom(i);
        float[] x = new float[4 * 32 * 32];
        for (int k = 0; k < x.length; k++) x[k] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void importsInIndexOrderAndRejectsBadPairs() throws IOException {
        Path feats = Files.createDirectories(tmp.resolve("imagenet256_features"));
        Path labs = Files.createDirectories(tmp.resolve("imagenet256_labels"));
        for (int i = 0; i < N; i++) {
            Npy.write(feats.resolve(i + ".npy"), Tensor.ofFloats(new long[] {1, 4, 32, 32}, latent(i)));
            if (i != 7) Npy.write(labs.resolve(i + ".npy"), Tensor.ofLongs(new long[] {1}, new long[] {(i * 37) % 1000}));
        }
        // index 7 has no label; 11 has a wrong shape; 13 a label out of range; 17 is not an npy file
        Npy.write(feats.resolve("11.npy"), Tensor.ofFloats(new long[] {1, 4, 16, 16}, new float[4 * 16 * 16]));
        Npy.write(labs.resolve("13.npy"), Tensor.ofLongs(new long[] {1}, new long[] {1000}));
        Files.writeString(feats.resolve("17.npy"), "garbage");
        Files.writeString(feats.resolve("README"), "stray");

        JavaSparkContext sc = TestSpark.sc();
        NpyImportJob.Options o = new NpyImportJob.Options();
        o.features = feats.toString();
        o.labels = labs.toString();
        o.partitions = 4;
        o.spec.out = tmp.resolve("out").toString();
        o.spec.recordsPerPart = 5;
        Manifest m = NpyImportJob.run(sc, o, System.err);

        List<Integer> kept = java.util.stream.IntStream.range(0, N).filter(i -> i != 7 && i != 11 && i != 13 && i != 17)
                .boxed().toList();
        assertEquals(kept.size(), m.numRecords);
        assertArrayEquals(new int[] {4, 32, 32}, m.shape);
        assertEquals(1000, m.numClasses);
        assertEquals("vae", m.encoder.get("type"));
        assertEquals(0.18215, ((Number) m.encoder.get("scale_factor")).doubleValue());
        List<LabeledTensor> recs = LatentDataset.open(sc, o.spec.out).records(sc).collect();
        for (int j = 0; j < kept.size(); j++) {
            int i = kept.get(j);
            assertEquals((i * 37) % 1000, recs.get(j).label(), "record " + j + " = index " + i);
            assertArrayEquals(latent(i), recs.get(j).tensor(), "record " + j + " = index " + i);
        }
        List<String> rejected = m.rejected.first().stream().map(e -> Path.of(e.path()).getParent().getFileName() + "/"
                + Path.of(e.path()).getFileName()).toList();
        assertEquals(List.of("imagenet256_features/README", "imagenet256_features/7.npy", "imagenet256_features/11.npy",
                "imagenet256_labels/13.npy", "imagenet256_features/17.npy"), rejected);
        assertTrue(m.rejected.first().get(1).reason().contains("no matching labels file"));
        assertTrue(m.rejected.first().get(2).reason().contains("shape"));
        assertTrue(m.rejected.first().get(3).reason().contains("label 1000"));
        assertTrue(m.rejected.first().get(4).reason().contains("unreadable"));
    }
}
