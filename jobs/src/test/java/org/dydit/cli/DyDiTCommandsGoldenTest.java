package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.formats.SafeTensors;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DyDiT through the command line: {@code forward} on the golden DyDiT writes the reference's out, masks and
 * complete_out; {@code convert --to-dydit} turns the golden DiT into a DyDiT with the DiT's output; {@code flops}
 * on a DyDiT folder costs sampler trajectories.
 */
class DyDiTCommandsGoldenTest {
    static final Path DYDIT = Golden.path("dydit");
    static final Path DIT = Golden.path("dit");

    @Test
    void forwardOnTheGoldenDyDiTWritesOutMasksAndCompleteOut(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out.safetensors");
        Path cases = DYDIT.resolve("cases.safetensors");
        Cli r = Cli.run("forward", "--model-dir", DYDIT.toString(), "--cases", cases.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r::toString);
        try (SafeTensors got = SafeTensors.open(out); SafeTensors want = SafeTensors.open(cases)) {
            for (String k : new String[]{"attn_mask", "mlp_mask", "token_mask"}) {
                assertArrayEquals(want.shape(k), got.shape(k), k + " shape");
                assertArrayEquals(want.floats(k), got.floats(k), k);
            }
            for (String k : new String[]{"out", "complete_out"}) {
                assertArrayEquals(want.shape(k), got.shape(k), k + " shape");
                Approx.assertClose(k, want.floats(k), got.floats(k), Approx.F32_ATOL, Approx.F32_RTOL);
            }
        }
    }

    @Test
    void convertedGoldenDiTGivesTheDiTOutputAndIsCostedAlongTrajectories(@TempDir Path tmp) throws Exception {
        Path dy = tmp.resolve("dydit-model");
        Cli c = Cli.run("convert", "--to-dydit", "--model-dir", DIT.toString(), "--out", dy.toString(), "--seed", "3");
        assertEquals(0, c.code(), c::toString);
        JsonNode info = new ObjectMapper().readTree(c.out());
        assertTrue(info.get("config").get("dynamic").asBoolean());
        assertTrue(info.get("importance_order").asBoolean());

        Path cases = tmp.resolve("cases.safetensors");
        try (SafeTensors in = SafeTensors.open(DIT.resolve("cases.safetensors"))) {
            java.util.Map<String, org.dydit.formats.Tensor> m = new java.util.LinkedHashMap<>();
            for (String k : new String[]{"x", "t", "y"}) m.put(k, in.get(k));
            org.dydit.formats.SafeTensorsWriter.write(cases, m, java.util.Map.of());
        }
        Path out = tmp.resolve("out.safetensors");
        Cli f = Cli.run("forward", "--model-dir", dy.toString(), "--cases", cases.toString(), "--out", out.toString());
        assertEquals(0, f.code(), f::toString);
        try (SafeTensors got = SafeTensors.open(out); SafeTensors want = SafeTensors.open(DIT.resolve("cases.safetensors"))) {
            Approx.assertClose("converted DyDiT out", want.floats("out"), got.floats("out"), 1e-5 + Approx.F32_ATOL, Approx.F32_RTOL);
            for (float v : got.floats("token_mask")) assertEquals(1f, v, "every token active after conversion");
        }

        Cli fl = Cli.run("flops", "--model-dir", dy.toString(), "--steps", "4", "--n", "2", "--seed", "1");
        assertEquals(0, fl.code(), fl::toString);
        JsonNode j = new ObjectMapper().readTree(fl.out());
        double gmacs = j.get("gmacs").asDouble(), dyn = j.get("gmacs_dynamic").asDouble(), ratio = j.get("flops_ratio").asDouble();
        assertTrue(ratio > 0 && ratio < 1.2, "ratio " + ratio + "\n" + fl.out());
        assertEquals(dyn / gmacs, ratio, 1e-9);
        assertEquals(4, j.get("timesteps").size());
        // width-router biases 15: every head and group stays on at every step; at x_T ~ N(0, I) (first step) every
        // token too (bias 35; later steps of this random model's trajectories reach activations that switch some off)
        for (JsonNode layer : j.get("per_layer")) {
            assertEquals(4, layer.get("heads").size());
            for (JsonNode h : layer.get("heads")) assertEquals(j.get("num_heads").asDouble(), h.asDouble());
            for (JsonNode g : layer.get("groups")) assertEquals(j.get("num_heads").asDouble(), g.asDouble());
            assertEquals(1.0, layer.get("token_keep_rate_per_step").get(0).asDouble());
        }

        // converting onto the source or a DyDiT is refused
        Cli again = Cli.run("convert", "--to-dydit", "--model-dir", dy.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(Main.EXIT_FAILURE, again.code(), again::toString);
        assertTrue(again.err().contains("already holds a DyDiT"), again::toString);
        assertFalse(Files.exists(tmp.resolve("x")));
    }
}
