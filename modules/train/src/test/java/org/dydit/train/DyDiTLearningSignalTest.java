package org.dydit.train;

import org.dydit.model.DyDiTTestModels;
import org.dydit.engine.DiTParams;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gradients reach the routers through the straight-through estimator: a tiny DyDiT trained toward λ = 0.5 ends with
 * its measured (evaluation-mode) FLOPs ratio near 0.5, starting from 1.0, and every router tensor changes.
 *
 * <p>Test settings (not the paper's): lr 1e-3, no clipping, λ_t held at 1 for 100 steps then ramped over 100
 * steps, 50 steps of stage 1 (complete-model loss) then stage 2, router biases 8 instead of 15/35 so that the
 * sigmoid's slope is not ~1e-7, 300 steps of batch 4 on fixed synthetic latents.
 */
class DyDiTLearningSignalTest {

    static final double LAMBDA = 0.5;
    static final int STEPS = 300;
    static final int BATCH = 4;

    @Test
    void flopsRatioReachesTheTargetAndEveryRouterLearns() {
        DiTConfig cfg = new DiTConfig(8, 2, 4, 64, 2, 4, 5, true, 0.1, 4.0, true);
        LinkedHashMap<String, Tensor> w = DyDiTTestModels.randomWeights(cfg, 31, 0.1);
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            if (DiTKeys.isRouterKey(e.getKey()) && e.getKey().endsWith(".bias")) {
                float[] b = new float[(int) e.getValue().numel()];
                java.util.Arrays.fill(b, 8f);
                e.setValue(Tensor.ofFloats(e.getValue().shape(), b));
            }
        }
        DiTParams p = DiTParams.of(cfg, w, DataType.FLOAT);
        TrainerSettings opt = new TrainerSettings(1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.999, 5);
        DyDiTRecipe recipe = DyDiTRecipe.paper(LAMBDA, 5).withOptimizer(opt).withRampSteps(100).withCompleteSteps(50);

        int n = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        Random r = new Random(9);
        float[] data = new float[4 * BATCH * n];
        for (int i = 0; i < data.length; i++) data[i] = (float) (0.5 * r.nextGaussian() + 0.3 * Math.sin(i % n));
        int[] labels = new int[4 * BATCH];
        for (int i = 0; i < labels.length; i++) labels[i] = i % cfg.numClasses();

        // evaluation set: 16 noisy latents over the whole timestep range
        int evalN = 16;
        float[] evalX = new float[evalN * n];
        double[] evalT = new double[evalN];
        int[] evalY = new int[evalN];
        for (int i = 0; i < evalN; i++) {
            evalT[i] = Math.round(i * 999.0 / (evalN - 1));
            evalY[i] = i % cfg.numClasses();
            for (int j = 0; j < n; j++) evalX[i * n + j] = (float) r.nextGaussian();
        }

        Map<String, float[]> before = new LinkedHashMap<>();
        for (String key : p.keys()) if (DiTKeys.isRouterKey(key)) before.put(key, p.get(key).dup().data().asFloat());
        try (Trainer tr = Trainer.dydit(p, recipe)) {
            DyDiTObjective dydit = (DyDiTObjective) tr.objective();
            double start = dydit.evalFlopsRatio(evalX, evalT, evalY);
            assertEquals(1.0, start, 1e-12, "with biases 8 every head, group and token starts on");
            Trainer.StepResult last = null;
            for (int s = 0; s < STEPS; s++) {
                int off = (s % 4) * BATCH;
                float[] x0 = java.util.Arrays.copyOfRange(data, off * n, (off + BATCH) * n);
                int[] y = java.util.Arrays.copyOfRange(labels, off, off + BATCH);
                last = tr.step(x0, y);
                assertTrue(Double.isFinite(last.loss()), "loss diverged at step " + last.step());
                if (s < 50) assertTrue(Double.isFinite(last.term(DyDiTObjective.COMPLETE)), "stage 1 has the complete loss");
                else assertFalse(last.terms().containsKey(DyDiTObjective.COMPLETE), "stage 2 drops the complete loss");
            }
            double end = dydit.evalFlopsRatio(evalX, evalT, evalY);
            System.out.printf("DyDiT learning signal: eval FLOPs ratio %.4f -> %.4f (target %.2f), last training ratio %.4f, loss %.4f%n",
                    start, end, LAMBDA, last.term(DyDiTObjective.RATIO), last.loss());
            assertEquals(LAMBDA, last.term(DyDiTObjective.TARGET), 0.0);
            assertTrue(Math.abs(end - LAMBDA) <= 0.1, "measured FLOPs ratio " + end + " is not within 0.1 of " + LAMBDA);

            List<String> unchanged = new ArrayList<>();
            for (Map.Entry<String, float[]> e : before.entrySet()) {
                if (java.util.Arrays.equals(e.getValue(), tr.params().get(e.getKey()).dup().data().asFloat())) unchanged.add(e.getKey());
            }
            assertTrue(unchanged.isEmpty(), "router tensors that never changed: " + unchanged);
        }
    }
}
