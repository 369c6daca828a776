package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * {@code dydit finetune} on the golden DiT, the acceptance at its real size: λ 0.5, the small recipe, 400
 * steps of batch 8 on synthetic data end with a DyDiT whose FLOPs ratio along DDPM-50 sampling trajectories, as
 * {@code dydit flops} measures it, is within 0.1 of 0.5; the same run stopped at step 200 and resumed to 400 writes
 * a byte-identical model.safetensors.
 */
class FinetuneCommandTest {
    static final Path DIT = Golden.path("dit");
    static final ObjectMapper JSON = new ObjectMapper();

    static String[] finetune(Path out, long steps, String... more) {
        String[] base = {"finetune", "--init", DIT.toString(), "--lambda", "0.5", "--recipe", "small", "--steps",
                Long.toString(steps), "--batch", "8", "--data", "synthetic", "--out", out.toString(), "--log-every", "100"};
        String[] r = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, r, base.length, more.length);
        return r;
    }

    @Test
    void fineTunesTheGoldenDiTToHalfTheFlopsAndResumesBitForBit(@TempDir Path tmp) throws Exception {
        Path d = tmp.resolve("D");
        Cli whole = Cli.run(finetune(d, 400));
        assertEquals(0, whole.code(), whole.toString());
        assertTrue(whole.err().contains("finetune: step 400/400") && whole.err().contains("λ_t 0.5000")
                && whole.err().contains("flops_ratio") && whole.err().contains("s/step") && whole.err().contains("ETA"), whole.err());

        Cli flops = Cli.run("flops", "--model-dir", d.resolve("model").toString(), "--steps", "50", "--n", "8");
        assertEquals(0, flops.code(), flops.toString());
        double ratio = JSON.readTree(flops.out()).get("flops_ratio").asDouble();
        System.out.printf("finetune acceptance: flops --steps 50 --n 8 on D/model: flops_ratio %.4f%n", ratio);
        assertEquals(0.5, ratio, 0.1, "FLOPs ratio of the fine-tuned DyDiT");

        // the checkpoint folder: a DyDiT model folder, training state with the data, manifest, width schedule
        JsonNode cfg = JSON.readTree(d.resolve("model/config.json").toFile());
        assertTrue(cfg.get("dynamic").asBoolean(), cfg.toString());
        JsonNode state = JSON.readTree(d.resolve("train_state.json").toFile());
        assertEquals("dydit", state.at("/objective/name").asText());
        assertEquals("synthetic", state.at("/data/source").asText());
        assertEquals(400 * 8, state.at("/data/position").asLong());
        JsonNode mf = JSON.readTree(d.resolve(FinetuneCommand.MANIFEST).toFile());
        assertEquals("small", mf.at("/recipe/name").asText());
        assertEquals(0.95, mf.at("/recipe/optimizer/ema_decay").asDouble(), 0.0);
        assertEquals(50, mf.at("/recipe/complete_steps").asLong());
        assertEquals(FinetuneCommand.sha256(DIT.resolve("model.safetensors")), mf.at("/init/sha256/model.safetensors").asText());
        assertEquals("finetune", mf.at("/runs/0/command/0").asText());
        JsonNode ws = JSON.readTree(d.resolve(FinetuneCommand.SCHEDULE).toFile());
        for (String k : new String[]{"ddpm250", "ddim50"}) {
            JsonNode s = ws.get(k);
            int steps = k.equals("ddpm250") ? 250 : 50;
            assertEquals(steps, s.get("steps").asInt(), k);
            assertEquals(2, s.get("per_layer").size(), k);
            assertEquals(steps, s.at("/per_layer/0/heads").size(), k + ": active heads per step");
            assertEquals(steps, s.at("/per_layer/1/groups").size(), k + ": active groups per step");
            assertEquals(steps, s.at("/per_layer/1/token_keep_rate_per_step").size(), k);
            assertTrue(s.get("flops_ratio").asDouble() < 0.8, k + " ratio " + s.get("flops_ratio"));
        }

        Path p = tmp.resolve("P");
        Cli half = Cli.run(finetune(p, 200, "--schedule-n", "0"));
        assertEquals(0, half.code(), half.toString());
        assertFalse(Files.exists(p.resolve(FinetuneCommand.SCHEDULE)), "--schedule-n 0 writes no schedule");
        Cli rest = Cli.run("finetune", "--resume", p.toString(), "--steps", "400", "--batch", "8", "--out", p.toString(),
                "--log-every", "0", "--schedule-n", "0");
        assertEquals(0, rest.code(), rest.toString());
        assertEquals(200, JSON.readTree(rest.out()).get("steps_this_run").asLong());
        assertArrayEquals(Files.readAllBytes(d.resolve("model/model.safetensors")), Files.readAllBytes(p.resolve("model/model.safetensors")),
                "stopped at 200 and resumed to 400 equals the uninterrupted run");
        JsonNode resumed = JSON.readTree(p.resolve(FinetuneCommand.MANIFEST).toFile());
        assertEquals(2, resumed.get("runs").size(), "the resumed run is added to the manifest");
        assertEquals("small", resumed.at("/recipe/name").asText());

        // a --steps below the checkpoint's step is an error, and so are recipe options on --resume
        Cli below = Cli.run("finetune", "--resume", p.toString(), "--steps", "100", "--out", tmp.resolve("x").toString());
        assertEquals(1, below.code(), below.toString());
        assertTrue(below.err().contains("below step 400"), below.toString());
        Cli recipe = Cli.run("finetune", "--resume", p.toString(), "--steps", "500", "--lr", "1", "--out", tmp.resolve("x").toString());
        assertEquals(2, recipe.code(), recipe.toString());
        assertTrue(recipe.err().contains("--lr") && recipe.err().contains("comes from its checkpoint"), recipe.toString());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    @Test
    void aNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws Exception {
        Path d = tmp.resolve("D");
        Cli c = Cli.run(finetune(d, 20, "--lr", "1e30", "--checkpoint-every", "1"));
        assertEquals(1, c.code(), c.toString());
        assertTrue(c.err().contains("last good checkpoint"), c.toString());
        JsonNode state = JSON.readTree(d.resolve("train_state.json").toFile());
        long kept = state.get("step").asLong();
        assertTrue(kept >= 1 && kept < 20, "the checkpoint of a step before the divergence: " + kept);
        assertTrue(c.err().contains("(step " + kept + ") is kept"), c.toString());
    }

    @Test
    void budgetIsAFractionOfTheInitialIterations(@TempDir Path tmp) throws Exception {
        // the golden 0030000.pt is named by its step, as DiT's train.py names checkpoints
        Cli c = Cli.run("finetune", "--init", DIT.resolve("0030000.pt").toString(), "--config", DIT.resolve("config.json").toString(),
                "--lambda", "0.7", "--recipe", "small", "--budget", "0.0001", "--batch", "2", "--log-every", "0",
                "--schedule-n", "0", "--out", tmp.resolve("D").toString());
        assertEquals(0, c.code(), c.toString());
        assertEquals(3, JSON.readTree(c.out()).get("steps").asLong(), "ceil(0.0001 x 30000)");
        JsonNode mf = JSON.readTree(tmp.resolve("D").resolve(FinetuneCommand.MANIFEST).toFile());
        assertEquals(30000, mf.at("/init/iterations").asLong());
        assertEquals(0.0001, mf.at("/budget/fraction").asDouble(), 0.0);
        assertEquals("pt", mf.at("/init/kind").asText());

        Cli noConfig = Cli.run("finetune", "--init", DIT.resolve("model.pt").toString(), "--lambda", "0.5", "--steps", "1",
                "--out", tmp.resolve("E").toString());
        assertEquals(1, noConfig.code(), noConfig.toString());
        assertTrue(noConfig.err().contains("--config"), noConfig.toString());
        Cli unknown = Cli.run("finetune", "--init", DIT.toString(), "--lambda", "0.5", "--budget", "0.01",
                "--out", tmp.resolve("E").toString());
        assertEquals(1, unknown.code(), unknown.toString());
        assertTrue(unknown.err().contains("--init-iterations"), unknown.toString());
    }
}
