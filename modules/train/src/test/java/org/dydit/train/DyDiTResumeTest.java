package org.dydit.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.engine.DiTParams;
import org.dydit.model.DiTConfig;
import org.dydit.model.DyDiTTestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DyDiT fine-tuning stopped at step k, saved, loaded into a fresh trainer and continued equals the uninterrupted
 * run bit for bit (parameters, Adam moments, EMA, losses), with k in stage 1, at the stage-1 → stage-2 boundary and
 * in stage 2.
 */
class DyDiTResumeTest {
    static final DiTConfig CFG = new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, true);
    static final int BATCH = 4, STEPS = 6, COMPLETE = 3;

    static Trainer trainer() {
        // clip at 1 so clipping acts; λ_t ramps from the first step so the FLOPs loss acts; routers' biases N(0, 1)
        TrainerSettings opt = new TrainerSettings(1e-3, 0.9, 0.999, 1e-8, 0.01, 1.0, 0.99, 11);
        DyDiTRecipe recipe = DyDiTRecipe.paper(0.5, 11).withOptimizer(opt).withRampSteps(4).withCompleteSteps(COMPLETE);
        recipe = new DyDiTRecipe(recipe.lambda(), recipe.rampSteps(), 0, recipe.completeSteps(), recipe.tau(),
                recipe.flopsWeight(), recipe.stratified(), opt);
        return Trainer.dydit(DiTParams.of(CFG, DyDiTTestModels.randomWeights(CFG, 7, 1.0), DataType.FLOAT), recipe);
    }

    static Trainer.StepResult[] run(Trainer tr, SyntheticLatents data, int steps) {
        float[] x0 = new float[BATCH * data.perSample()];
        int[] y = new int[BATCH];
        Trainer.StepResult[] r = new Trainer.StepResult[steps];
        for (int i = 0; i < steps; i++) {
            data.batch(tr.step(), x0, y);
            r[i] = tr.step(x0, y);
        }
        return r;
    }

    static float[] values(DiTParams p) {
        return p.flat().dup().data().asFloat();
    }

    static double[] losses(Trainer.StepResult[] r) {
        return Arrays.stream(r).mapToDouble(Trainer.StepResult::loss).toArray();
    }

    @Test
    void aResumedFineTuningEqualsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
        SyntheticLatents data = new SyntheticLatents(CFG, 3);
        try (Trainer whole = trainer()) {
            Trainer.StepResult[] all = run(whole, data, STEPS);
            for (int i = 0; i < STEPS; i++) {
                assertEquals(i < COMPLETE, all[i].terms().containsKey(DyDiTObjective.COMPLETE), "stage of step " + (i + 1));
            }
            assertTrue(Arrays.stream(all).anyMatch(r -> r.term(DyDiTObjective.FLOPS) > 0), "the FLOPs loss never acted");
            for (int k : new int[]{1, COMPLETE, COMPLETE + 1}) {
                Path ck = tmp.resolve("ckpt" + k);
                try (Trainer first = trainer()) {
                    run(first, data, k);
                    TrainCheckpoint.save(first, ck);
                }
                JsonNode j = new ObjectMapper().readTree(ck.resolve(TrainCheckpoint.STATE_JSON).toFile());
                assertEquals(DyDiTObjective.NAME, j.get("objective").get("name").asText());
                assertEquals(COMPLETE, j.get("objective").get("recipe").get("complete_steps").asLong());
                try (Trainer resumed = TrainCheckpoint.load(ck)) {
                    assertEquals(k, resumed.step());
                    assertTrue(resumed.objective() instanceof DyDiTObjective);
                    Trainer.StepResult[] rest = run(resumed, data, STEPS - k);
                    assertArrayEquals(Arrays.copyOfRange(losses(all), k, STEPS), losses(rest), 0.0, "losses after step " + k);
                    for (int i = 0; i < rest.length; i++) assertEquals(all[k + i].terms(), rest[i].terms(), "terms of step " + (k + i + 1));
                    assertArrayEquals(values(whole.params()), values(resumed.params()), "parameters, resumed at " + k);
                    assertArrayEquals(values(whole.adamM()), values(resumed.adamM()), "Adam m, resumed at " + k);
                    assertArrayEquals(values(whole.adamV()), values(resumed.adamV()), "Adam v, resumed at " + k);
                    assertArrayEquals(values(whole.ema()), values(resumed.ema()), "EMA, resumed at " + k);
                }
            }
            // and the run did move the weights and the routers
            try (Trainer fresh = trainer()) {
                assertFalse(Arrays.equals(values(fresh.params()), values(whole.params())));
            }
        }
    }
}
