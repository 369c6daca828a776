package org.dydit.train;

import org.dydit.engine.DiTParams;
import org.dydit.engine.EngineTestModels;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer with DiT's objective: determinism, learning, checkpoint/resume (also of the first checkpoint format), AdamW. */
class TrainerTest {
    static final DiTConfig CFG = EngineTestModels.tiny();
    static final int BATCH = 8;

    static Trainer trainer(TrainerSettings s) {
        return Trainer.dit(DiTParams.of(CFG, DiTModel.init(CFG, 5).weights(), DataType.FLOAT), s);
    }

    static TrainerSettings settings() {
        return new TrainerSettings(1e-3, 0.9, 0.999, 1e-8, 0.01, 1.0, 0.99, 42);
    }

    static double[] run(Trainer tr, SyntheticLatents data, int steps) {
        float[] x0 = new float[BATCH * data.perSample()];
        int[] y = new int[BATCH];
        double[] losses = new double[steps];
        for (int i = 0; i < steps; i++) {
            data.batch(tr.step(), x0, y);
            losses[i] = tr.step(x0, y).loss();
        }
        return losses;
    }

    static float[] values(DiTParams p) {
        return p.flat().dup().data().asFloat();
    }

    @Test
    void aStepIsReproducibleBitForBit() {
        SyntheticLatents data = new SyntheticLatents(CFG, 1);
        try (Trainer a = trainer(settings()); Trainer b = trainer(settings())) {
            double[] la = run(a, data, 3);
            double[] lb = run(b, data, 3);
            assertArrayEquals(la, lb, 0.0);
            assertArrayEquals(values(a.params()), values(b.params()));
            assertArrayEquals(values(a.adamV()), values(b.adamV()));
            assertArrayEquals(values(a.ema()), values(b.ema()));
            // and the step did change the weights
            try (Trainer fresh = trainer(settings())) {
                assertFalse(java.util.Arrays.equals(values(fresh.params()), values(a.params())));
            }
        }
    }

    @Test
    void theLossFallsOnSyntheticData() {
        SyntheticLatents data = new SyntheticLatents(CFG, 2);
        try (Trainer tr = trainer(settings())) {
            double[] l = run(tr, data, 80);
            double first = mean(l, 0, 10), last = mean(l, 70, 80);
            System.out.printf("tiny DiT on synthetic latents: mean loss steps 1-10 %.4f, steps 71-80 %.4f%n", first, last);
            assertTrue(last < 0.6 * first, "loss did not fall: " + first + " -> " + last);
        }
    }

    @Test
    void aResumedRunEqualsAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        SyntheticLatents data = new SyntheticLatents(CFG, 3);
        try (Trainer whole = trainer(settings()); Trainer first = trainer(settings())) {
            double[] lw = run(whole, data, 5);
            double[] l1 = run(first, data, 2);
            Path ck = tmp.resolve("ckpt");
            TrainCheckpoint.save(first, ck);
            assertTrue(Files.isRegularFile(ck.resolve("model/model.safetensors")));
            assertTrue(Files.isRegularFile(ck.resolve("model/config.json")));
            // the model folder holds the EMA weights
            DiTModel ema = DiTModel.load(ck.resolve(TrainCheckpoint.MODEL_DIR));
            assertArrayEquals(values(first.ema()), values(DiTParams.of(CFG, ema.weights(), DataType.FLOAT)));
            TrainCheckpoint.save(first, ck);   // replacing an existing checkpoint works too
            try (Trainer resumed = TrainCheckpoint.load(ck)) {
                assertEquals(2, resumed.step());
                double[] l2 = run(resumed, data, 3);
                assertArrayEquals(java.util.Arrays.copyOfRange(lw, 2, 5), l2, 0.0);
                assertArrayEquals(values(whole.params()), values(resumed.params()));
                assertArrayEquals(values(whole.adamM()), values(resumed.adamM()));
                assertArrayEquals(values(whole.adamV()), values(resumed.adamV()));
                assertArrayEquals(values(whole.ema()), values(resumed.ema()));
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(lw, 0, 2), l1, 0.0);
        }
    }

    @Test
    void aCheckpointOfTheFirstFormatResumesAsDiT(@TempDir Path tmp) throws Exception {
        SyntheticLatents data = new SyntheticLatents(CFG, 4);
        try (Trainer whole = trainer(settings()); Trainer first = trainer(settings())) {
            double[] lw = run(whole, data, 4);
            run(first, data, 2);
            Path ck = tmp.resolve("v1");
            TrainCheckpoint.save(first, ck);
            // format 1 had no objective: the same folder with the JSON of that time
            Path json = ck.resolve(TrainCheckpoint.STATE_JSON);
            com.fasterxml.jackson.databind.ObjectMapper om = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode j = (com.fasterxml.jackson.databind.node.ObjectNode) om.readTree(json.toFile());
            j.remove("objective");
            j.put("format", "dydit-train-state/1");
            Files.writeString(json, om.writeValueAsString(j));
            try (Trainer resumed = TrainCheckpoint.load(ck)) {
                assertEquals(DiTObjective.NAME, resumed.objective().name());
                assertArrayEquals(java.util.Arrays.copyOfRange(lw, 2, 4), run(resumed, data, 2), 0.0);
                assertArrayEquals(values(whole.params()), values(resumed.params()));
                assertArrayEquals(values(whole.ema()), values(resumed.ema()));
            }
            j.put("format", "dydit-train-state/9");
            Files.writeString(json, om.writeValueAsString(j));
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> TrainCheckpoint.load(ck));
            assertTrue(e.getMessage().contains("dydit-train-state/9") && e.getMessage().contains(json.toString()), e.getMessage());
        }
    }

    @Test
    void adamWMatchesTheFormula() {
        DiTParams p = DiTParams.of(CFG, EngineTestModels.randomWeights(CFG, 1), DataType.FLOAT);
        DiTParams g = p.like(), m = p.like(), v = p.like();
        g.flat().assign(EngineTestModels.gaussian(DataType.FLOAT, 9, g.size()));
        float[] p0 = values(p), g0 = values(g);
        AdamW opt = new AdamW(1e-2, 0.9, 0.99, 1e-8, 0.1);
        opt.update(p, g, m, v, 1);
        opt.update(p, g, m, v, 2);
        float[] got = values(p);
        for (int i = 0; i < p0.length; i += 97) {
            double x = p0[i], mm = 0, vv = 0;
            for (int s = 1; s <= 2; s++) {
                x -= 1e-2 * 0.1 * x;
                mm = 0.9 * mm + 0.1 * g0[i];
                vv = 0.99 * vv + 0.01 * g0[i] * g0[i];
                x -= 1e-2 * (mm / (1 - Math.pow(0.9, s))) / (Math.sqrt(vv / (1 - Math.pow(0.99, s))) + 1e-8);
            }
            assertEquals(x, got[i], 1e-6 * Math.max(1, Math.abs(x)), "parameter " + i);
        }
        double n = AdamW.norm(g);
        AdamW.clip(g, n / 2);
        assertEquals(n / 2, AdamW.norm(g), 1e-4 * n);
    }

    static double mean(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += a[i];
        return s / (to - from);
    }
}
