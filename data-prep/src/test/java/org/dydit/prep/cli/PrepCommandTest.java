package org.dydit.prep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dydit.prep.TestSpark;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code dydit prep} on picocli: exit codes, usage errors that say what to fix, per-job help, a JSON result line. */
class PrepCommandTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(boolean withSpark, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new PrepCommand(withSpark ? TestSpark.sc() : null));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatIsWrong() {
        String[][] cases = {
                {},
                {"cifar", "--out", "x"},
                {"fmnist"},
                {"fmnist", "--out", "x", "--split", "val"},
                {"fmnist", "--out", "x", "--limit", "ten"},
                {"fmnist", "--out", "x", "--limit", "0"},
                {"fmnist", "--out", "x", "--bogus"},
                {"fmnist", "--out", "x", "--out", "y"},
                {"images", "--out", "x"},
                {"images", "--in", "a", "--out", "x", "--flip", "sometimes"},
                {"images", "--in", "a", "--out", "x", "--encoder", "vqgan"},
                {"images", "--in", "a", "--out", "x", "--dtype", "float64"},
                {"images", "--in", "a", "--out", "x", "--size", "0"},
                {"images", "--in", "a", "--out", "x", "--records-per-part", "0"},
                {"images", "--in", "a", "--out", "x", "--progress-seconds", "-1"},
                {"import-npy", "--features", "f", "--out", "x"},
                {"import-npy", "--features", "f", "--labels", "l", "--out", "x", "--vae", "kl"},
                {"fmnist", "--out"},
        };
        String[] expect = {"missing command", "'cifar'", "Missing required option: '--out=DIR'",
                "--split must be one of train|test, got 'val'", "'--limit': 'ten' is not an int",
                "--limit must be at least 1, got 0", "Unknown option: '--bogus'", "'--out' (DIR) should be specified only once",
                "Missing required option: '--in=DIR'", "--flip must be one of none|both", "unknown encoder 'vqgan'",
                "--dtype must be one of float32|float16", "--size must be in 1..8192 (a record holds channels x size x size values), got 0",
                "--records-per-part must be at least 1, got 0", "--progress-seconds must be a positive number",
                "Missing required option: '--labels=DIR'", "--vae must be one of ema|mse", "Missing required parameter for option '--out'"};
        for (int i = 0; i < cases.length; i++) {
            // No SparkContext is needed (or made) to reject a command line.
            Result r = run(false, cases[i]);
            String line = String.join(" ", cases[i]);
            assertEquals(JobCommand.USAGE, r.code(), line + ": " + r.err());
            assertTrue(r.err().contains(expect[i]), "for '" + line + "': " + r.err());
            assertTrue(r.err().contains("Usage: prep"), "for '" + line + "' the usage follows: " + r.err());
            assertTrue(r.out().isEmpty(), r.out());
        }
    }

    @Test
    void helpListsTheJobsAndEachJobItsOwnOptions() {
        Result top = run(false, "--help");
        assertEquals(JobCommand.OK, top.code(), top.err());
        for (String job : new String[] {"fmnist", "images", "import-npy"}) assertTrue(top.out().contains(job), top.out());
        assertEquals(top.out(), run(false, "help").out());

        String[][] own = {{"fmnist", "--split", "--source", "--limit"}, {"images", "--in", "--size", "--encoder", "--flip"},
                {"import-npy", "--features", "--labels", "--num-classes", "--classes", "--vae"}};
        String[] common = {"--out", "--dtype", "--records-per-part", "--partitions", "--strict", "--overwrite",
                "--progress-seconds"};
        for (String[] job : own) {
            Result h = run(false, job[0], "--help");
            assertEquals(JobCommand.OK, h.code(), h.err());
            assertTrue(h.out().startsWith("Usage: prep " + job[0]), h.out());
            for (int k = 1; k < job.length; k++) assertTrue(h.out().contains(job[k]), job[0] + " lacks " + job[k] + ":\n" + h.out());
            for (String c : common) assertTrue(h.out().contains(c), job[0] + " lacks " + c + ":\n" + h.out());
            assertEquals(h.out(), run(false, "help", job[0]).out());
        }
        assertTrue(run(false, "images", "--help").out().contains("default 256"));
        assertTrue(run(false, "fmnist", "--help").out().contains("default train"));
        assertTrue(!run(false, "images", "--help").out().contains("--split"), "fmnist's options stay with fmnist");
    }

    @Test
    void runsAJobAndPrintsAJsonResult() throws Exception {
        Path out = tmp.resolve("fm");
        Result r = run(true, "fmnist", "--split", "test", "--limit", "64", "--out", out.toString(), "--dtype", "float16",
                "--records-per-part", "20", "--progress-seconds", "0.5");
        assertEquals(JobCommand.OK, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out().strip());
        assertEquals("prep fmnist", j.get("command").asText());
        assertEquals(out.toString(), j.get("out").asText());
        assertEquals(64, j.get("num_records").asInt());
        assertEquals(4, j.get("parts").asInt());
        assertEquals("float16", j.get("dtype").asText());
        Manifest m = LatentDataset.open(TestSpark.sc(), out.toString()).manifest();
        assertEquals(64, m.numRecords);
        assertTrue(r.err().contains("prep fmnist test: 64/64 images (100.0%)"), r.err());

        // Running again into the same folder fails (exit 1) and names it, leaving it intact.
        byte[] before = Files.readAllBytes(out.resolve("part-00000.bin"));
        Result again = run(true, "fmnist", "--split", "test", "--limit", "10", "--out", out.toString());
        assertEquals(JobCommand.FAILED, again.code());
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
        assertEquals(JobCommand.FAILED, r.code());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.contains("t10k-images-idx3-ubyte") && last.contains("truncated"), r.err());
        assertTrue(last.startsWith("dydit prep fmnist failed: "), last);
        assertTrue(Files.notExists(tmp.resolve("o")));
    }

    @Test
    void missingSourceFailsWithTheFolderNamed() {
        Path src = tmp.resolve("no-such-folder");
        Result r = run(true, "fmnist", "--source", src.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(JobCommand.FAILED, r.code());
        assertTrue(r.err().contains("no-such-folder") && r.err().contains("dataset-fashion-mnist"), r.err());
        assertTrue(Files.notExists(tmp.resolve("o")));
    }
}
