package org.dydit.prep.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-process streaming reader: each epoch is a permutation of the records fixed by (seed, epoch), a seek to a
 * position continues exactly where a reader that got there by reading is, and reading a dataset much larger than its
 * buffer neither holds nor allocates memory in proportion to the dataset.
 */
class LatentDatasetReaderTest {
    static final int SIDE = 16, PER = SIDE * SIDE;

    /** {@code parts} part files of {@code perPart} records [1, 16, 16]: record i holds i in its first value, label i mod 5. */
    static Path dataset(Path dir, int parts, int perPart) throws IOException {
        Files.createDirectories(dir);
        int[] shape = {1, SIDE, SIDE};
        RecordCodec codec = new RecordCodec(shape, RecordDType.FLOAT32);
        List<Manifest.Part> list = new ArrayList<>();
        int i = 0;
        for (int p = 0; p < parts; p++) {
            String name = String.format("part-%05d.bin", p);
            try (OutputStream o = Files.newOutputStream(dir.resolve(name))) {
                for (int r = 0; r < perPart; r++, i++) {
                    float[] x = new float[PER];
                    x[0] = i;
                    x[1] = i + 0.5f;
                    o.write(codec.encode(i % 5, x));
                }
            }
            list.add(new Manifest.Part(name, perPart));
        }
        Manifest m = new Manifest(shape, RecordDType.FLOAT32, perPart, list, List.of("a", "b", "c", "d", "e"),
                Map.of("type", "pixel"), Map.of(), Map.of(), new Issues(), new Issues());
        Files.writeString(dir.resolve(Manifest.FILE_NAME), m.toJson());
        return dir;
    }

    /** The record ids of the next {@code n} records. */
    static int[] ids(LatentDataset.Reader r, int n) throws IOException {
        float[] x = new float[PER];
        int[] out = new int[n];
        for (int k = 0; k < n; k++) {
            int label = r.next(x, 0);
            out[k] = (int) x[0];
            assertEquals(x[0] + 0.5f, x[1], "record " + out[k] + " decoded whole");
            assertEquals(out[k] % 5, label, "label of record " + out[k]);
        }
        return out;
    }

    @Test
    void everyEpochIsASeededPermutationAndASeekResumesExactly(@TempDir Path tmp) throws IOException {
        int n = 3 * 70;
        LatentDataset ds = LatentDataset.open(dataset(tmp.resolve("ds"), 3, 70).toString(), new Configuration());
        int[] twoEpochs;
        try (LatentDataset.Reader r = ds.reader(new Configuration(), 42, 16)) {
            twoEpochs = ids(r, 2 * n);
            assertEquals(2L * n, r.position());
        }
        int[] e0 = Arrays.copyOfRange(twoEpochs, 0, n), e1 = Arrays.copyOfRange(twoEpochs, n, 2 * n);
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        assertArrayEquals(all, Arrays.stream(e0).sorted().toArray(), "epoch 0 visits every record once");
        assertArrayEquals(all, Arrays.stream(e1).sorted().toArray(), "epoch 1 visits every record once");
        assertFalse(Arrays.equals(e0, e1), "each epoch is reshuffled");
        assertFalse(Arrays.equals(all, e0), "the order is not the stored one");

        try (LatentDataset.Reader same = ds.reader(new Configuration(), 42, 16);
             LatentDataset.Reader other = ds.reader(new Configuration(), 43, 16)) {
            assertArrayEquals(twoEpochs, ids(same, 2 * n), "the same seed gives the same order");
            assertFalse(Arrays.equals(twoEpochs, ids(other, 2 * n)), "another seed gives another order");
        }
        for (int p : new int[]{0, 5, 16, 101, n - 1, n, n + 37}) {
            try (LatentDataset.Reader r = ds.reader(new Configuration(), 42, 16)) {
                r.seek(p);
                assertArrayEquals(Arrays.copyOfRange(twoEpochs, p, 2 * n), ids(r, 2 * n - p), "after a seek to " + p);
            }
        }
    }

    @Test
    void morePartsThanOpenFilesAreReadWhole(@TempDir Path tmp) throws IOException {
        int parts = LatentDataset.MAX_OPEN + 6, n = parts * 3;
        LatentDataset ds = LatentDataset.open(dataset(tmp.resolve("many"), parts, 3).toString(), new Configuration());
        try (LatentDataset.Reader r = ds.reader(new Configuration(), 5, 2)) {
            for (int e = 0; e < 2; e++) {
                int[] all = new int[n];
                Arrays.setAll(all, i -> i);
                assertArrayEquals(all, Arrays.stream(ids(r, n)).sorted().toArray(), "epoch " + e + " of " + parts + " parts");
            }
        }
    }

    @Test
    void memoryDoesNotGrowWithTheDataset(@TempDir Path tmp) throws IOException {
        int parts = 4, perPart = 1024, n = parts * perPart, block = 64;
        Path dir = dataset(tmp.resolve("big"), parts, perPart);
        LatentDataset ds = LatentDataset.open(dir.toString(), new Configuration());
        long datasetBytes = (long) n * ds.manifest().recordBytes;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (LatentDataset.Reader r = ds.reader(new Configuration(), 1, block)) {
            assertEquals((long) block * ds.manifest().recordBytes, r.bufferBytes());
            assertTrue(r.bufferBytes() * 50 < datasetBytes, "the test needs a dataset far larger than the buffer");
            float[] x = new float[8 * PER];
            int[] y = new int[8];
            for (int k = 0; k < 2 * n / 8; k++) r.batch(x, y);   // warm-up: opens every part, compiles the loop
            long tid = Thread.currentThread().getId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int k = 0; k < 3 * n / 8; k++) r.batch(x, y);   // three more epochs
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            System.out.printf("reader: %d records of %d bytes (%d bytes), buffer %d bytes, allocated %d bytes over 3 epochs%n",
                    n, ds.manifest().recordBytes, datasetBytes, r.bufferBytes(), allocated);
            // A copy of each record read (or a dataset-sized array per epoch) would allocate at least 3 * datasetBytes;
            // what is allocated is the file system's per-read garbage (about 10 KB a block here).
            assertTrue(allocated < 3 * datasetBytes / 4,
                    "reading 3 epochs allocated " + allocated + " bytes; the dataset is " + datasetBytes);
        }
    }
}
