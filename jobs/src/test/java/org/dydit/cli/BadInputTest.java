package org.dydit.cli;

import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input, tried as a new user would, in the commands other than train: out-of-range options are usage errors
 * (exit 2) naming the option; non-finite weights and outputs, an output that is an input, and an earlier run's output
 * folder are handled before anything is written.
 */
class BadInputTest {
    @TempDir
    static Path tmp;
    static Path dit;
    static Path dydit;

    @BeforeAll
    static void models() throws Exception {
        dit = tmp.resolve("dit");
        DiTModel.init(ModelSource.tiny(), 1).save(dit);
        dydit = tmp.resolve("dydit");
        Cli c = Cli.run("convert", "--to-dydit", "--model-dir", dit.toString(), "--out", dydit.toString());
        assertEquals(0, c.code(), c::toString);
    }

    private static void assertUsage(String option, String... cmd) {
        Cli r = Cli.run(cmd);
        assertEquals(Main.EXIT_USAGE, r.code(), () -> String.join(" ", cmd) + "\n" + r);
        assertTrue(r.err().contains(option), () -> "names " + option + ": " + r);
    }

    @Test
    void outOfRangeOptionsAreUsageErrorsNamingTheOption() {
        String m = dit.toString(), o = tmp.resolve("never").toString();
        assertUsage("--n", "sample", "--model-dir", m, "--n", "0", "--out", o);
        assertUsage("--steps", "sample", "--model-dir", m, "--n", "1", "--steps", "1", "--out", o);
        assertUsage("--steps", "sample", "--model-dir", m, "--n", "1", "--steps", "5000", "--out", o);
        assertUsage("--cfg", "sample", "--model-dir", m, "--n", "1", "--cfg", "NaN", "--out", o);
        assertUsage("--cfg", "sample", "--model-dir", m, "--n", "1", "--cfg", "-2", "--out", o);
        assertUsage("--eta", "sample", "--model-dir", m, "--n", "1", "--eta", "-1", "--out", o);
        assertUsage("--batch", "sample", "--model-dir", m, "--n", "1", "--batch", "0", "--out", o);
        assertUsage("--sampler", "sample", "--model-dir", m, "--n", "1", "--sampler", "euler", "--out", o);
        // tiny: 16 tokens x 256 MLP channels a sample, twice under guidance: 2^31 bytes hold 65535 samples a batch
        assertUsage("at most 65535", "sample", "--model-dir", m, "--n", "70000", "--batch", "70000", "--out", o);
        assertUsage("--labels", "sample", "--model-dir", m, "--n", "2", "--labels", "10", "--out", o);
        assertUsage("--labels", "sample", "--model-dir", m, "--n", "2", "--labels", "1,2,3", "--out", o);
        assertUsage("--depth", "flops", "--model", "tiny", "--depth", "0");
        assertUsage("--input-size", "flops", "--model", "tiny", "--input-size", "-8");
        assertUsage("--mlp-ratio", "flops", "--model", "tiny", "--mlp-ratio", "Infinity");
        assertUsage("--n", "flops", "--model-dir", dydit.toString(), "--n", "2000000000");
        assertUsage("--steps", "flops", "--model-dir", dydit.toString(), "--steps", "0");
        assertUsage("--tasks", "spark-check", "--tasks", "0");
        assertUsage("--tasks", "spark-check", "--tasks", "2000000000");
        assertUsage("--size", "prep", "images", "--in", tmp.toString(), "--out", o, "--size", "100000");
        assertUsage("--limit", "prep", "fmnist", "--out", o, "--limit", "0");
        assertFalse(Files.exists(tmp.resolve("never")));
    }

    /** 50000^2 tokens used to be reported as a negative count: now the config is refused, naming the options. */
    @Test
    void moreTokensThanAModelHoldsIsRefused() {
        Cli r = Cli.run("flops", "--model", "DiT-S/2", "--input-size", "50000", "--patch-size", "1");
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(r.err().contains("--input-size 50000 --patch 1") && r.err().contains("2500000000 tokens"), r::toString);
        assertEquals("", r.out());
    }

    /** A model folder with a NaN weight: every command that loads it refuses it, naming the file and the key. */
    @Test
    void aNaNWeightIsRefusedByConvertAndSample() throws Exception {
        DiTConfig cfg = ModelSource.tiny();
        Map<String, Tensor> w = new LinkedHashMap<>(DiTModel.init(cfg, 1).weights());
        String key = "blocks.0.attn.qkv.weight";
        float[] v = w.get(key).toFloats();
        v[7] = Float.NaN;
        w.put(key, Tensor.ofFloats(w.get(key).shape(), v));
        Path bad = tmp.resolve("nan");
        Files.createDirectories(bad);
        cfg.write(bad.resolve(DiTModel.CONFIG_FILE));
        SafeTensorsWriter.write(bad.resolve(DiTModel.WEIGHTS_FILE), w);
        String file = bad.resolve(DiTModel.WEIGHTS_FILE).toAbsolutePath().toString();
        for (String[] cmd : new String[][]{
                {"convert", "--to-dydit", "--model-dir", bad.toString(), "--out", tmp.resolve("nan-dy").toString()},
                {"sample", "--model-dir", bad.toString(), "--n", "1", "--steps", "2", "--out", tmp.resolve("nan-s").toString()},
                {"forward", "--model-dir", bad.toString(), "--cases", file, "--out", tmp.resolve("nan.st").toString()}}) {
            Cli r = Cli.run(cmd);
            assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
            assertTrue(r.err().contains(file) && r.err().contains("key '" + key + "'") && r.err().contains("NaN"), r::toString);
        }
        assertFalse(Files.exists(tmp.resolve("nan-dy")));
        assertFalse(Files.exists(tmp.resolve("nan-s")));
    }

    /** Finite weights whose output overflows: sample stops naming the step, exit 1, and writes no folder. */
    @Test
    void aNonFiniteOutputStopsSample() throws Exception {
        // tiny with 3 channels, so that it can be written as images
        DiTConfig rgb = ModelSource.tiny().withInChannels(3);
        String key = DiTKeys.FINAL_LINEAR + ".weight";
        Map<String, Tensor> w3 = new LinkedHashMap<>(DiTModel.init(rgb, 1).weights());
        float[] huge3 = new float[(int) w3.get(key).numel()];
        Arrays.fill(huge3, Float.MAX_VALUE);
        w3.put(key, Tensor.ofFloats(w3.get(key).shape(), huge3));
        Path m3 = tmp.resolve("overflow3");
        DiTModel.of(rgb, w3, "test", "test").save(m3);
        Path out = tmp.resolve("overflow-samples");
        Cli r = Cli.run("sample", "--model-dir", m3.toString(), "--n", "2", "--steps", "5", "--out", out.toString());
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(r.err().contains("at sampling step 1/5"), r::toString);
        assertFalse(Files.exists(out), "no folder written");
    }

    @Test
    void forwardRefusesAnOutputThatIsAnInput() throws Exception {
        Path cases = tmp.resolve("cases.safetensors");
        SafeTensorsWriter.write(cases, Map.of("x", Tensor.ofFloats(new long[]{1}, new float[]{1})));
        byte[] before = Files.readAllBytes(cases);
        Path link = tmp.resolve("link.safetensors");
        Files.createSymbolicLink(link, cases);
        Path weights = dit.resolve(DiTModel.WEIGHTS_FILE);
        byte[] weightsBefore = Files.readAllBytes(weights);
        for (Path out : List.of(cases, tmp.resolve(".").resolve("cases.safetensors"), link, weights)) {
            assertUsage("--out", "forward", "--model-dir", dit.toString(), "--cases", cases.toString(), "--out", out.toString());
        }
        assertUsage("--cases", "forward", "--model-dir", dit.toString(), "--cases", link.toString(), "--out", cases.toString());
        assertArrayEquals(before, Files.readAllBytes(cases));
        assertArrayEquals(weightsBefore, Files.readAllBytes(weights));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** An earlier run's folder is replaced whole: no stale PNG beside the new npz. Any other folder is refused. */
    @Test
    void sampleReplacesAnEarlierRunWholeAndRefusesOtherFolders() throws Exception {
        DiTConfig rgb = ModelSource.tiny().withInChannels(3);
        Path m = tmp.resolve("rgb");
        DiTModel.init(rgb, 2).save(m);
        Path out = tmp.resolve("samples");
        Cli first = Cli.run("sample", "--model-dir", m.toString(), "--n", "3", "--steps", "2", "--out", out.toString());
        assertEquals(0, first.code(), first::toString);
        assertEquals(List.of("000000.png", "000001.png", "000002.png", "samples.npz"), names(out));
        Cli again = Cli.run("sample", "--model-dir", m.toString(), "--n", "1", "--steps", "2", "--out", out.toString());
        assertEquals(0, again.code(), again::toString);
        assertEquals(List.of("000000.png", "samples.npz"), names(out));
        assertEquals(List.of("rgb", "samples"), names(tmp).stream().filter(n -> n.equals("rgb") || n.contains("samples")).toList(),
                "no temporary folder left beside the output");

        Path mine = tmp.resolve("mine");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        Cli refused = Cli.run("sample", "--model-dir", m.toString(), "--n", "1", "--steps", "2", "--out", mine.toString());
        assertEquals(Main.EXIT_FAILURE, refused.code(), refused::toString);
        assertTrue(refused.err().contains("notes.txt"), refused::toString);
        assertEquals(List.of("notes.txt"), names(mine));
        Cli file = Cli.run("sample", "--model-dir", m.toString(), "--n", "1", "--steps", "2", "--out", mine.resolve("notes.txt").toString());
        assertEquals(Main.EXIT_FAILURE, file.code(), file::toString);
        assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    }
}
