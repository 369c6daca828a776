package org.dydit.dynamic;

import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dynamic engine's work, counted where the products run ({@link ForwardStats#executedMacs}), equals the MACs
 * of the decisions it recorded ({@link DecisionMacs}) at several timesteps and batch sizes, mixed timesteps
 * included; the static engine's equals the DiT's. An engine that decided but did not skip, or skipped more than it
 * decided, fails here. (The bench module checks the count at a FLOPs ratio near 0.5 against the static engine's.)
 */
class ExecutedMacsTest {
    /** 64 tokens, width 64, 4 heads, 4 blocks. */
    private static final DiTConfig CFG = MarginModels.config(16, 2, 4, 64, 4, 4, true);

    static float[] input(DiTConfig c, int n, Random r) {
        return MarginModels.normal(n * c.inChannels() * c.inputSize() * c.inputSize(), r);
    }

    static long[] shape(DiTConfig c, int n) {
        return new long[]{n, c.inChannels(), c.inputSize(), c.inputSize()};
    }

    @Test
    void countedWorkEqualsTheMacsOfTheDecisionsTaken() throws Exception {
        DiTModel model = MarginModels.model(CFG, 11);
        Random r = new Random(5);
        DiTFlops f = DiTFlops.of(CFG);
        try (DynamicEngine dyn = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC);
             DynamicEngine full = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
            dyn.recordTokenLogits(true);
            boolean narrower = false, fewerTokens = false;
            for (int t : new int[]{0, 131, 402, 640, 999}) {
                for (int n : new int[]{1, 3}) {
                    float[] x = input(CFG, n, r);
                    int[] ts = new int[n], ys = new int[n];
                    for (int i = 0; i < n; i++) {
                        ts[i] = t;
                        ys[i] = r.nextInt(CFG.numClasses() + 1);
                    }
                    dyn.forward(x, shape(CFG, n), ts, ys);
                    long counted = dyn.lastStats().executedMacs(), want = DecisionMacs.of(dyn, t, n);
                    assertEquals(want, counted, "t=" + t + " batch " + n + ": counted MACs against the decisions'");
                    // each forward reports its own work, not a running total
                    dyn.forward(x, shape(CFG, n), ts, ys);
                    assertEquals(counted, dyn.lastStats().executedMacs(), "t=" + t + " batch " + n + ": same forward again");

                    full.forward(x, shape(CFG, n), ts, ys);
                    long all = full.lastStats().executedMacs();
                    assertEquals(n * (f.totalMacs() - f.timestepEmbedMacs()), all, "static engine, batch " + n);
                    assertTrue(counted < all, "t=" + t + ": the dynamic forward did less than the static one");
                    for (int[] h : dyn.activeHeads(t)) narrower |= h.length < CFG.numHeads();
                    fewerTokens |= dyn.lastStats().tokenFraction()[0] < 1;
                }
            }
            assertTrue(narrower && fewerTokens, "the model's routers must switch heads and tokens off for this test to mean anything");

            // a batch of several timesteps runs per timestep: its count is the sum of the groups' decisions
            int[] ts = {20, 870, 20, 870, 870};
            int[] ys = {1, 2, 3, 4, 10};
            float[] x = input(CFG, ts.length, r);
            dyn.forward(x, shape(CFG, ts.length), ts, ys);
            long mixed = dyn.lastStats().executedMacs();
            int per = CFG.inChannels() * CFG.inputSize() * CFG.inputSize();
            long want = 0;
            for (int t : new int[]{20, 870}) {
                int n = 0;
                for (int v : ts) if (v == t) n++;
                float[] xs = new float[n * per];
                int[] tg = new int[n], yg = new int[n];
                for (int i = 0, j = 0; i < ts.length; i++) {
                    if (ts[i] != t) continue;
                    System.arraycopy(x, i * per, xs, j * per, per);
                    tg[j] = t;
                    yg[j++] = ys[i];
                }
                dyn.forward(xs, shape(CFG, n), tg, yg);
                want += DecisionMacs.of(dyn, t, n);
            }
            assertEquals(want, mixed, "mixed timesteps: counted against the decisions of each timestep group");
        }
    }
}
