package org.dydit.bench;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router recipe and the speed benchmark on a tiny DyDiT: the recipe follows the Figure 5 pattern and keeps
 * about half of a real trajectory's tokens; the benchmark's numbers come from the decisions taken on the inputs of
 * a whole DDPM-250 chain.
 */
class SpeedupBenchmarkTest {
    private static final DiTConfig TINY = new DiTConfig(16, 2, 4, 64, 4, 4, 10, true, 0.1, 4.0, true);

    @Test
    void recipeWidthsGrowTowardsLowTimestepsInEveryLayer() throws Exception {
        int[] ts = SpeedupBenchmark.timedTimesteps(250, 25);
        DiTModel m = RouterRecipe.build(TINY, 0.5, ts, 3, s -> {});
        try (DynamicEngine e = new DynamicEngine(m, DynamicEngine.Mode.DYNAMIC)) {
            int[][] high = e.activeHeads(999), low = e.activeHeads(0);
            int[][] highG = e.activeGroups(999), lowG = e.activeGroups(0);
            int fewer = 0;
            for (int l = 0; l < TINY.depth(); l++) {
                assertTrue(low[l].length >= high[l].length, "layer " + l + ": heads at t=0 " + low[l].length + " < at t=999 " + high[l].length);
                assertTrue(lowG[l].length >= highG[l].length, "layer " + l + ": groups at t=0 < at t=999");
                if (high[l].length < low[l].length) fewer++;
            }
            assertEquals(TINY.depth(), fewer, "every layer drops heads towards t=999");
        }
    }

    @Test
    void benchmarkReportsTheDecisionsTakenOnAWholeChain() throws Exception {
        int[] ts = SpeedupBenchmark.timedTimesteps(250, 25);
        assertEquals(10, ts.length);
        assertEquals(999, ts[0]);
        DiTModel m = RouterRecipe.build(TINY, 0.5, ts, 3, s -> {});
        Map<String, Object> r = SpeedupBenchmark.run(m, "tiny", 0.5, 2, 2, ts, 5, s -> {});
        double ratio = (Double) r.get("flops_ratio");
        assertTrue(ratio > 0.3 && ratio < 0.7, "flops_ratio near lambda 0.5: " + ratio);
        double speedup = (Double) r.get("speedup");
        assertTrue(speedup > 0, "speedup " + speedup);
        assertEquals(speedup * ratio, (Double) r.get("efficiency"), 2e-3);   // each of the three is rounded to 3 or 4 digits
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> steps = (List<Map<String, Object>>) r.get("steps");
        assertEquals(10, steps.size());
        double kept = 0;
        for (Map<String, Object> s : steps) kept += (Double) s.get("tokens_kept") / steps.size();
        assertTrue(kept > 0.3 && kept < 0.7, "about half of the trajectory's tokens kept: " + kept);
        // high t runs narrower than low t: the first timed step (t=999) costs less than the last (t=96)
        assertTrue((Double) steps.get(0).get("flops_ratio") < (Double) steps.get(9).get("flops_ratio"), steps.toString());
        for (String k : List.of("static_fraction_of_peak", "gemm_gflops", "phase_s_static", "phase_s_dynamic", "speedup_all")) {
            assertTrue(r.containsKey(k), "missing " + k);
        }
        // Surefire starts this JVM with the inline command, as bin/dydit does: the field must see it
        assertEquals(Boolean.TRUE, r.get("vector_helpers_inlined"), "the JIT command that inlines VecMath");
        checkRepeats(r, 2);
        // batch 1 is timed too, on the first sample's inputs
        @SuppressWarnings("unchecked")
        Map<String, Object> b1 = (Map<String, Object>) r.get("batch1");
        assertEquals(1, b1.get("batch"));
        assertEquals(b1.get("speedup"), r.get("speedup_batch1"));
        double ratio1 = (Double) b1.get("flops_ratio");
        assertTrue(ratio1 > 0.3 && ratio1 < 0.7, "batch-1 flops_ratio near lambda 0.5: " + ratio1);
        checkRepeats(b1, 2);
        @SuppressWarnings("unchecked")
        Map<String, Double> run = (Map<String, Double>) r.get("run_s");
        for (String k : List.of("chain", "timed_batch", "timed_batch1")) assertTrue(run.get(k) > 0, "run_s." + k + ": " + run);
        assertTrue((Double) r.get("peak_rss_gb") > 0);
    }

    /** Every repeat's numbers: speedup = static / dynamic time per repeat, and phases per repeat, not running totals. */
    @SuppressWarnings("unchecked")
    private static void checkRepeats(Map<String, Object> r, int repeats) {
        double[] sp = (double[]) r.get("speedup_all"), st = (double[]) r.get("static_s_all"), dy = (double[]) r.get("dynamic_s_all");
        assertEquals(repeats, sp.length);
        assertEquals(repeats, st.length);
        assertEquals(repeats, dy.length);
        for (int i = 0; i < repeats; i++) assertEquals(st[i] / dy[i], sp[i], 0.02 * sp[i], "repeat " + i);
        List<Map<String, Double>> phases = (List<Map<String, Double>>) r.get("phase_s_dynamic_all");
        assertEquals(repeats, phases.size());
        for (int i = 0; i < repeats; i++) {
            double sum = phases.get(i).values().stream().mapToDouble(Double::doubleValue).sum();
            assertTrue(sum > 0 && sum <= 1.1 * dy[i] + 0.001, "repeat " + i + ": phases " + sum + " s within its " + dy[i] + " s");
        }
        assertEquals(repeats, ((List<?>) r.get("phase_s_static_all")).size());
        for (String k : List.of("allocated_mb_static_all", "allocated_mb_dynamic_all", "jit_ms_all")) {
            double[] v = (double[]) r.get(k);
            assertEquals(repeats, v.length, k);
            for (double x : v) assertTrue(x >= 0, k + ": " + x);
        }
        int warm = ((double[]) r.get("warmup_s_all")).length;
        assertTrue(warm >= 1 && warm <= SpeedupTiming.MAX_WARMUP, "warm-up passes " + warm);
    }

    @Test
    void recipePredictionWeighsEachTimestepsKeptTokenShare() {
        int[] ts = SpeedupBenchmark.timedTimesteps(250, 25);
        DiTConfig s2 = DiTConfig.preset("DiT-S/2").withDynamic(true);
        double[][] half = new double[ts.length][s2.depth()], lowAtHighT = new double[ts.length][s2.depth()];
        for (int i = 0; i < ts.length; i++) {
            java.util.Arrays.fill(half[i], 0.5);
            java.util.Arrays.fill(lowAtHighT[i], ts[i] > 500 ? 0.45 : 0.55);   // the pattern the DiT-S/2 recipe's routers show
        }
        for (double level : new double[]{0.6, 1.0, 1.1}) {
            assertEquals(RouterRecipe.predictedRatio(s2, level, ts, null), RouterRecipe.predictedRatio(s2, level, ts, half), 1e-12);
            // the same mean share, but more tokens where the layers are wide: more MACs than with half everywhere
            assertTrue(RouterRecipe.predictedRatio(s2, level, ts, lowAtHighT) > RouterRecipe.predictedRatio(s2, level, ts, half));
        }
    }

    @Test
    void tokenRouterBiasSetOnAnEngineTakesEffectOnItsNextForward() throws Exception {
        // the recipe calibrates layer after layer on one engine: a changed bias must reach the following forwards
        DiTModel m = DiTModel.init(TINY, 2);
        int n = 2, per = TINY.inChannels() * TINY.inputSize() * TINY.inputSize();
        float[] x = new float[n * per];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        long[] shape = {n, TINY.inChannels(), TINY.inputSize(), TINY.inputSize()};
        int[] t = {500, 500}, y = {1, 2};
        float old = m.weights().get(org.dydit.model.DiTKeys.tokenRouter2(0) + ".bias").toFloats()[0];
        try (DynamicEngine e = new DynamicEngine(m, DynamicEngine.Mode.DYNAMIC)) {
            e.recordTokenLogits(true);
            e.forward(x, shape, t, y);
            float[] before = e.tokenLogits(0);
            e.setTokenRouterBias(0, old + 1.5f);
            e.forward(x, shape, t, y);
            float[] after = e.tokenLogits(0);
            for (int i = 0; i < before.length; i++) assertEquals(before[i] + 1.5f, after[i], 1e-5, "token " + i);
        }
    }

    @Test
    void timedStepsMustBelongToTheChain() throws Exception {
        DiTModel m = DiTModel.init(TINY, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpeedupBenchmark.run(m, "tiny", 0.5, 1, 1, new int[]{998, 500}, 0, s -> {}));
        assertTrue(e.getMessage().contains("998"), e.getMessage());
    }
}
