package org.dydit.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The picocli-free entry point: exit codes, usage errors that say what to fix, a JSON result line. */
class PrepMainTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(boolean withSpark, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = PrepMain.run(withSpark ? TestSpark.sc() : null, args,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatIsWrong() {
        String[][] cases = {
                {},
                {"cifar", "--out", "x"},
                {"fmnist"},
                {"fmnist", "--out", "x", "--split", "val"},
                {"fmnist", "--out", "x", "--limit", "ten"},
                {"fmnist", "--out", "x", "--bogus"},
                {"images", "--out", "x"},
                {"images", "--in", "a", "--out", "x", "--flip", "sometimes"},
                {"images", "--in", "a", "--out", "x", "--encoder", "vqgan"},
                {"images", "--in", "a", "--out", "x", "--dtype", "float64"},
                {"import-npy", "--features", "f", "--out", "x"},
                {"fmnist", "--out"},
        };
        String[] expect = {"missing command", "unknown command 'cifar'", "missing --out", "--split must be one of",
                "--limit must be an integer", "unknown option '--bogus'", "missing --in", "--flip must be one of",
                "unknown encoder 'vqgan'", "--dtype must be one of", "missing --labels", "--out needs a value"};
        for (int i = 0; i < cases.length; i++) {
            // No SparkContext is needed (or made) to reject a command line.
            Result r = run(false, cases[i]);
            assertEquals(PrepMain.USAGE, r.code(), String.join(" ", cases[i]));
            assertTrue(r.err().contains(expect[i]), "for '" + String.join(" ", cases[i]) + "': " + r.err());
            assertTrue(r.err().contains("usage: dydit prep"), r.err());
        }
        Result help = run(false, "images", "--help");
        assertEquals(PrepMain.OK, help.code());
        assertTrue(help.out().contains("dydit prep import-npy"));
    }

    @Test
    void runsAJobAndPrintsAJsonResult() throws Exception {
        Path out = tmp.resolve("fm");
        Result r = run(true, "fmnist", "--split", "test", "--limit", "64", "--out", out.toString(), "--dtype", "float16",
                "--records-per-part", "20", "--progress-seconds", "0.5");
        assertEquals(PrepMain.OK, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out().strip());
        assertEquals(64, j.get("num_records").asInt());
        assertEquals(4, j.get("parts").asInt());
        assertEquals("float16", j.get("dtype").asText());
        Manifest m = LatentDataset.open(TestSpark.sc(), out.toString()).manifest();
        assertEquals(64, m.numRecords);
        assertTrue(r.err().contains("prep fmnist test: 64/64 images (100.0%)"), r.err());

        // Running again into the same folder fails (exit 1) and names it, leaving it intact.
        byte[] before = Files.readAllBytes(out.resolve("part-00000.bin"));
        Result again = run(true, "fmnist", "--split", "test", "--limit", "10", "--out", out.toString());
        assertEquals(PrepMain.FAILED, again.code());
        assertTrue(again.err().contains(out.getFileName().toString()) && again.err().contains("already exists"), again.err());
        assertEquals(64, LatentDataset.open(TestSpark.sc(), out.toString()).manifest().numRecords);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(out.resolve("part-00000.bin"))));
    }

    /** A failure inside a Spark task still ends in one line naming the file, not its message-less cause. */
    @Test
    void truncatedIdxFileIsNamedInTheFinalMessage() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("fm"));
        Path dist = Path.of("/usr/share/datasets/fashion-mnist");
        Files.copy(dist.resolve("t10k-labels-idx1-ubyte.gz"), src.resolve("t10k-labels-idx1-ubyte.gz"));
        byte[] images;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(dist.resolve("t10k-images-idx3-ubyte.gz")))) {
            images = in.readNBytes(16 + 784 * 100);    // the header promises 10,000 images
        }
        Files.write(src.resolve("t10k-images-idx3-ubyte"), images);
        Result r = run(true, "fmnist", "--split", "test", "--source", src.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(PrepMain.FAILED, r.code());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.contains("t10k-images-idx3-ubyte") && last.contains("truncated"), r.err());
        assertTrue(Files.notExists(tmp.resolve("o")));
    }

    @Test
    void missingSourceFailsWithTheFolderNamed() {
        Path src = tmp.resolve("no-such-folder");
        Result r = run(true, "fmnist", "--source", src.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(PrepMain.FAILED, r.code());
        assertTrue(r.err().contains("no-such-folder") && r.err().contains("dataset-fashion-mnist"), r.err());
        assertTrue(Files.notExists(tmp.resolve("o")));
    }
}
