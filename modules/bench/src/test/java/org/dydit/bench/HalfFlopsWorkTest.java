package org.dydit.bench;

import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.NoiseSource;
import org.dydit.dynamic.DecisionMacs;
import org.dydit.dynamic.DynamicEngine;
import org.dydit.dynamic.ForwardStats;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.sample.TrajectoryInputs;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * At a FLOPs ratio near 0.5 (the router recipe's λ = 0.5, on the inputs of its own DDPM-250 chain, as the speed
 * benchmark times it) the dynamic engine really does about half of the static engine's work: the MACs counted
 * where its products run equal those of its decisions at every timed step, and their sum is about half of the
 * static engine's count on the same inputs.
 */
class HalfFlopsWorkTest {
    private static final DiTConfig TINY = new DiTConfig(16, 2, 4, 64, 4, 4, 10, true, 0.1, 4.0, true);

    @Test
    void dynamicEngineDoesAboutHalfTheStaticWorkAtRatioOneHalf() throws Exception {
        int[] ts = SpeedupBenchmark.timedTimesteps(250, 25);
        DiTModel m = RouterRecipe.build(TINY, 0.5, ts, 3, s -> {});
        int batch = 2;
        long[] shape = {batch, TINY.inChannels(), TINY.inputSize(), TINY.inputSize()};
        int[] labels = {3, 8};
        long dynamic = 0, full = 0;
        double decisions = 0, decisionsStatic = 0;
        try (DynamicEngine dyn = new DynamicEngine(m, DynamicEngine.Mode.DYNAMIC);
             DynamicEngine stat = new DynamicEngine(m, DynamicEngine.Mode.STATIC)) {
            float[][] inputs = TrajectoryInputs.record(dyn, new AncestralSampler(GaussianDiffusion.create("250")),
                    NoiseSource.seeded(9), shape, labels, ts, null, s -> {});
            dyn.recordTokenLogits(true);
            for (int i = 0; i < ts.length; i++) {
                int[] t = new int[batch];
                Arrays.fill(t, ts[i]);
                dyn.forward(inputs[i], shape, t, labels);
                ForwardStats s = dyn.lastStats();
                assertEquals(DecisionMacs.of(dyn, ts[i], batch), s.executedMacs(), "t=" + ts[i] + ": counted against the decisions");
                dynamic += s.executedMacs();
                decisions += s.macs();
                decisionsStatic += s.staticMacs();
                stat.forward(inputs[i], shape, t, labels);
                full += stat.lastStats().executedMacs();
            }
        }
        double ratio = decisions / decisionsStatic, work = (double) dynamic / full;
        System.err.printf("router recipe at lambda 0.5: FLOPs ratio %.4f, counted work dynamic / static %.4f%n", ratio, work);
        assertTrue(ratio > 0.4 && ratio < 0.6, "the recipe's FLOPs ratio on its chain is near 0.5: " + ratio);
        // the counts leave out the per-timestep timestep MLP and width routers, a sliver of the decisions' MACs
        assertEquals(ratio, work, 0.01, "dynamic over static work counted (" + dynamic + " / " + full + ") against the FLOPs ratio");
        assertTrue(work > 0.4 && work < 0.6, "about half of the static engine's work: " + work);
    }
}
