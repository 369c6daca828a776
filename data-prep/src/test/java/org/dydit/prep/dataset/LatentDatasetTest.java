package org.dydit.prep.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.formats.Half;
import org.dydit.prep.TestSpark;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader: shuffling by (seed, epoch), and refusing datasets whose files disagree with the manifest. */
class LatentDatasetTest {
    static final int N = 1000;
    static final int[] SHAPE = {2, 3, 4};

    @TempDir
    static Path tmp;
    static Path dir;

    /** Record i has label i % 7 and tensor values i + k/100, so every record is recognisable. */
    static float[] tensor(int i) {
        float[] t = new float[24];
        for (int k = 0; k < t.length; k++) t[k] = i + k / 100f;
        return t;
    }

    static Path write(String name, RecordDType dtype, long perPart, int tasks) throws IOException {
        DatasetSpec spec = new DatasetSpec();
        spec.out = tmp.resolve(name).toString();
        spec.shape = SHAPE;
        spec.dtype = dtype;
        spec.recordsPerPart = perPart;
        spec.classes = List.of("a", "b", "c", "d", "e", "f", "g");
        spec.jobName = "test";
        RecordProducer<Integer> p = (first, items, sink) -> {
            for (int i : items) {
                sink.record(i % 7, tensor(i));
                sink.itemDone();
            }
        };
        DatasetWriter.write(TestSpark.sc(), spec, p, IntStream.range(0, N).boxed().toList(), tasks, System.err);
        return Path.of(spec.out);
    }

    @BeforeAll
    static void setUp() throws IOException {
        dir = write("base", RecordDType.FLOAT32, 128, 3);
    }

    /** The record's index, recovered from its first value. */
    static int id(LabeledTensor r) {
        return Math.round(r.tensor()[0]);
    }

    @Test
    void readsEveryRecordInFileOrder() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        LatentDataset ds = LatentDataset.open(sc, dir.toString());
        assertEquals(8, ds.manifest().parts.size());
        ds.requireShape(2, 3, 4);
        DatasetException e = assertThrows(DatasetException.class, () -> ds.requireShape(4, 32, 32));
        assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        List<LabeledTensor> all = ds.records(sc).collect();
        assertEquals(N, all.size());
        for (int i = 0; i < N; i++) {
            assertEquals(i % 7, all.get(i).label());
            assertArrayEquals(tensor(i), all.get(i).tensor());
        }
    }

    @Test
    void float16RecordsDecodeToTheNearestHalf() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        Path d = write("half", RecordDType.FLOAT16, 300, 2);
        List<LabeledTensor> all = LatentDataset.open(sc, d.toString()).records(sc).collect();
        assertEquals(N, all.size());
        for (int i = 0; i < N; i += 37) {
            float[] want = tensor(i);
            for (int k = 0; k < want.length; k++) want[k] = Half.f16ToFloat(Half.floatToF16(want[k]));
            assertArrayEquals(want, all.get(i).tensor(), "record " + i);
        }
        assertEquals(4L + 24 * 2, LatentDataset.open(sc, d.toString()).manifest().recordBytes);
    }

    @Test
    void shuffleIsAPermutationFixedBySeedAndEpoch() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        LatentDataset ds = LatentDataset.open(sc, dir.toString());
        List<Integer> e0 = ds.shuffled(sc, 42, 0, 3, 50).map(LatentDatasetTest::id).collect();
        List<Integer> e0again = ds.shuffled(sc, 42, 0, 3, 50).map(LatentDatasetTest::id).collect();
        List<Integer> e1 = ds.shuffled(sc, 42, 1, 3, 50).map(LatentDatasetTest::id).collect();
        List<Integer> otherSeed = ds.shuffled(sc, 43, 0, 3, 50).map(LatentDatasetTest::id).collect();
        assertEquals(3, ds.shuffled(sc, 42, 0, 3, 50).getNumPartitions());
        for (List<Integer> order : List.of(e0, e1, otherSeed)) {
            List<Integer> sorted = new ArrayList<>(order);
            sorted.sort(null);
            assertEquals(IntStream.range(0, N).boxed().toList(), sorted, "every record exactly once");
        }
        assertEquals(e0, e0again, "same seed and epoch, same order");
        assertNotEquals(e0, e1, "a new epoch reshuffles");
        assertNotEquals(e0, otherSeed, "another seed, another order");
        // Records move between partitions from one epoch to the next, not only within them.
        List<List<Integer>> p0 = ds.shuffled(sc, 42, 0, 3, 50).map(LatentDatasetTest::id).glom().collect();
        List<List<Integer>> p1 = ds.shuffled(sc, 42, 1, 3, 50).map(LatentDatasetTest::id).glom().collect();
        assertNotEquals(new java.util.HashSet<>(p0.get(0)), new java.util.HashSet<>(p1.get(0)));
        // Not merely the file order cut differently.
        long inPlace = IntStream.range(0, N).filter(i -> e0.get(i) == i).count();
        assertTrue(inPlace < N / 10, inPlace + " records kept their place");
    }

    static Path copy(String name) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) Files.copy(p, d.resolve(p.getFileName()));
        }
        return d;
    }

    @Test
    void truncatedPartFileIsNamed() throws IOException {
        Path d = copy("truncated");
        Path part = d.resolve("part-00003.bin");
        try (RandomAccessFile f = new RandomAccessFile(part.toFile(), "rw")) {
            f.setLength(f.length() - 10);
        }
        DatasetException e = assertThrows(DatasetException.class,
                () -> LatentDataset.open(TestSpark.sc(), d.toString()));
        assertTrue(e.getMessage().contains("part-00003.bin") && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void manifestDisagreeingWithTheDataIsNamed() throws IOException {
        String json = Files.readString(dir.resolve("manifest.json"));
        // {text in the manifest, its replacement, the key the error must name}
        String[][] cases = {
                {"\"record_bytes\" : 100,", "\"record_bytes\" : 101,", "record_bytes"},
                {"\"num_records\" : 1000,", "\"num_records\" : 999,", "num_records"},
                {"\"shape\" : [ 2, 3, 4 ]", "\"shape\" : [ 2, 3, 5 ]", "record_bytes"},
                {"\"dtype\" : \"float32\"", "\"dtype\" : \"float64\"", "dtype"},
                {"\"format\" : \"dydit-latents/1\"", "\"format\" : \"other/2\"", "format"},
                {"\"num_classes\" : 7,", "\"num_classes\" : 8,", "num_classes"},
        };
        for (int i = 0; i < cases.length; i++) {
            assertTrue(json.contains(cases[i][0]), "manifest text has " + cases[i][0] + ":\n" + json);
            Path d = copy("bad" + i);
            Files.writeString(d.resolve("manifest.json"), json.replace(cases[i][0], cases[i][1]));
            DatasetException e = assertThrows(DatasetException.class,
                    () -> LatentDataset.open(TestSpark.sc(), d.toString()));
            assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains(cases[i][2]), e.getMessage());
        }
        // A part the manifest says holds fewer records than the file has.
        Path d = copy("longer");
        Files.writeString(d.resolve("manifest.json"), json.replace("\"records_per_part\" : 128", "\"records_per_part\" : 127")
                .replace("\"records\" : 128", "\"records\" : 127").replace("\"num_records\" : 1000", "\"num_records\" : " + (1000 - 7)));
        DatasetException e = assertThrows(DatasetException.class, () -> LatentDataset.open(TestSpark.sc(), d.toString()));
        assertTrue(e.getMessage().contains("part-00000.bin") && e.getMessage().contains("longer"), e.getMessage());
    }

    @Test
    void labelsOutsideTheClassesAreNamedWhenRead() throws IOException {
        Path d = copy("badlabel");
        try (RandomAccessFile f = new RandomAccessFile(d.resolve("part-00001.bin").toFile(), "rw")) {
            f.seek(5L * (4 + 24 * 4));
            f.write(new byte[] {99, 0, 0, 0});
        }
        JavaSparkContext sc = TestSpark.sc();
        LatentDataset ds = LatentDataset.open(sc, d.toString());
        Exception e = assertThrows(Exception.class, () -> ds.records(sc).count());
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("part-00001.bin") && msg.contains("record 5") && msg.contains("label 99"), msg);
    }
}
