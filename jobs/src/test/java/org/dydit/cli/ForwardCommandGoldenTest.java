package org.dydit.cli;

import org.dydit.formats.DType;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dydit forward} on the golden DiT reproduces the reference outputs stored beside its inputs. */
class ForwardCommandGoldenTest {

    static final Path DIT = Golden.path("dit");
    static final Path CASES = DIT.resolve("cases.safetensors");

    @Test
    void modelFolderReproducesOutAndCfgOut(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.safetensors");
        Cli r = Cli.run("forward", "--model-dir", DIT.toString(), "--cases", CASES.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r::toString);
        assertMatchesCases(out);
    }

    @Test
    void checkpointEmaReproducesTheFolder(@TempDir Path tmp) throws Exception {
        for (String pt : new String[]{"model.pt", "0030000.pt"}) {
            Path out = tmp.resolve(pt + ".out.safetensors");
            Cli r = Cli.run("forward", "--checkpoint", DIT.resolve(pt).toString(), "--config", DIT.resolve("config.json").toString(),
                    "--cases", CASES.toString(), "--out", out.toString());
            assertEquals(0, r.code(), () -> pt + ": " + r);
            assertMatchesCases(out);
        }
    }

    /** The training checkpoint's raw weights differ from its EMA on purpose: --weights model must pick them. */
    @Test
    void checkpointRawWeightsGiveOtherOutputs(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("raw.safetensors");
        Cli r = Cli.run("forward", "--checkpoint", DIT.resolve("0030000.pt").toString(), "--config", DIT.resolve("config.json").toString(),
                "--weights", "model", "--cases", CASES.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r::toString);
        try (SafeTensors got = SafeTensors.open(out); SafeTensors want = SafeTensors.open(CASES)) {
            assertFalse(Arrays.equals(want.floats("out"), got.floats("out")), "--weights model gave the EMA outputs");
        }
    }

    @Test
    void withoutCfgInputsOnlyOutIsWritten(@TempDir Path tmp) throws Exception {
        Path cases = tmp.resolve("plain.safetensors");
        copyKeys(cases, "x", "t", "y");
        Path out = tmp.resolve("out.safetensors");
        Cli r = Cli.run("forward", "--model-dir", DIT.toString(), "--cases", cases.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r::toString);
        try (SafeTensors got = SafeTensors.open(out)) {
            assertEquals(java.util.List.of("out"), got.names());
        }
    }

    @Test
    void badCasesNameTheFileAndKeyAndLeaveNoOutput(@TempDir Path tmp) throws Exception {
        Path noY = tmp.resolve("no-y.safetensors");
        copyKeys(noY, "x", "t");
        Path out = tmp.resolve("out.safetensors");
        Cli r = Cli.run("forward", "--model-dir", DIT.toString(), "--cases", noY.toString(), "--out", out.toString());
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(r.err().contains(noY.toString()) && r.err().contains("'y'"), r::toString);
        assertFalse(Files.exists(out), "no output on failure");

        Path partialCfg = tmp.resolve("partial.safetensors");
        copyKeys(partialCfg, "x", "t", "y", "cfg_x", "cfg_t");
        Cli p = Cli.run("forward", "--model-dir", DIT.toString(), "--cases", partialCfg.toString(), "--out", out.toString());
        assertEquals(Main.EXIT_FAILURE, p.code(), p::toString);
        assertTrue(p.err().contains(partialCfg.toString()) && p.err().contains("cfg_y"), p::toString);
        assertFalse(Files.exists(out), "no output on failure");

        Path wrongShape = tmp.resolve("shape.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafeTensors in = SafeTensors.open(CASES)) {
            long[] s = in.shape("x");
            long[] bad = {s[0], s[1] + 1, s[2], s[3]};
            m.put("x", Tensor.ofFloats(bad, new float[(int) (bad[0] * bad[1] * bad[2] * bad[3])]));
            m.put("t", in.get("t"));
            m.put("y", in.get("y"));
        }
        SafeTensorsWriter.write(wrongShape, m, Map.of());
        Cli s = Cli.run("forward", "--model-dir", DIT.toString(), "--cases", wrongShape.toString(), "--out", out.toString());
        assertEquals(Main.EXIT_FAILURE, s.code(), s::toString);
        assertTrue(s.err().contains(wrongShape.toString()) && s.err().contains("x"), s::toString);
        assertFalse(Files.exists(out), "no output on failure");
    }

    @Test
    void missingModelFolderIsNamed(@TempDir Path tmp) {
        Path nowhere = tmp.resolve("nowhere");
        Cli r = Cli.run("forward", "--model-dir", nowhere.toString(), "--cases", CASES.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(r.err().contains("nowhere"), r::toString);
    }

    private static void assertMatchesCases(Path out) throws Exception {
        try (SafeTensors got = SafeTensors.open(out); SafeTensors want = SafeTensors.open(CASES)) {
            // both the plain and the guided case are compared: a fixture or an output without one fails naming it
            for (String k : new String[]{"out", "cfg_out"}) {
                assertTrue(want.contains(k), CASES + " has no '" + k + "'");
                assertTrue(got.contains(k), out + " has no '" + k + "'");
                assertEquals(DType.F32, got.dtype(k), k + " dtype");
                assertArrayEquals(want.shape(k), got.shape(k), k + " shape");
                Approx.assertClose(k, want.floats(k), got.floats(k), Approx.F32_ATOL, Approx.F32_RTOL);
            }
        }
    }

    private static void copyKeys(Path dst, String... keys) throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafeTensors in = SafeTensors.open(CASES)) {
            for (String k : keys) m.put(k, in.get(k));
        }
        SafeTensorsWriter.write(dst, m, Map.of());
    }
}
