package org.dydit.dynamic;

import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router recipe's one-pass calibration against its definition: one forward per layer and input, layer l's
 * logits recorded with its own bias at 0 and the earlier layers' biases set.
 */
class TokenCalibrationTest {
    private static final DiTConfig TINY = new DiTConfig(16, 2, 4, 64, 4, 4, 10, true, 0.1, 4.0, true);

    private static float negMedian(float[] logits) {
        float[] s = logits.clone();
        Arrays.sort(s);
        return -0.5f * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    @Test
    void onePassGivesTheBiasesOfForwardsLayerAfterLayer() throws Exception {
        DiTModel m = DiTModel.init(TINY, 7);
        int n = 2, per = TINY.inChannels() * TINY.inputSize() * TINY.inputSize(), depth = TINY.depth();
        int[] ts = {999, 598, 96};
        long[] shape = {n, TINY.inChannels(), TINY.inputSize(), TINY.inputSize()};
        Random r = new Random(11);
        float[][] xs = new float[ts.length][n * per];
        int[][] ys = new int[ts.length][n];
        for (int i = 0; i < ts.length; i++) {
            for (int j = 0; j < n * per; j++) xs[i][j] = (float) r.nextGaussian();
            for (int j = 0; j < n; j++) ys[i][j] = r.nextInt(TINY.numClasses());
        }

        // the definition: per layer, a forward of every input with that layer's bias at 0
        float[] expected = new float[depth];
        double[][] expectedKept = new double[ts.length][];
        try (DynamicEngine e = new DynamicEngine(m, DynamicEngine.Mode.DYNAMIC)) {
            for (int l = 0; l < depth; l++) e.setTokenRouterBias(l, 0f);
            e.recordTokenLogits(true);
            for (int l = 0; l < depth; l++) {
                float[] all = new float[ts.length * n * TINY.tokens()];
                for (int i = 0; i < ts.length; i++) {
                    e.forward(xs[i], shape, new int[]{ts[i], ts[i]}, ys[i]);
                    System.arraycopy(e.tokenLogits(l), 0, all, i * n * TINY.tokens(), n * TINY.tokens());
                }
                expected[l] = negMedian(all);
                e.setTokenRouterBias(l, expected[l]);
            }
            for (int i = 0; i < ts.length; i++) {
                e.forward(xs[i], shape, new int[]{ts[i], ts[i]}, ys[i]);
                expectedKept[i] = e.lastStats().tokenFraction().clone();
            }
        }

        try (DynamicEngine e = new DynamicEngine(m, DynamicEngine.Mode.DYNAMIC)) {
            int[] calls = new int[depth];
            DynamicEngine.TokenCalibration c = e.calibrateTokenRouters(xs, shape, ts, ys, (layer, logits) -> {
                calls[layer]++;
                assertEquals(ts.length * n * TINY.tokens(), logits.length, "layer " + layer + ": every input's logits");
                return negMedian(logits);
            });
            assertArrayEquals(new int[]{1, 1, 1, 1}, calls, "one rule call per layer");
            assertArrayEquals(expected, c.biases(), "biases, bit for bit");
            for (int i = 0; i < ts.length; i++) {
                assertArrayEquals(expectedKept[i], c.keptShare()[i], "kept shares at t=" + ts[i]);
                for (double k : c.keptShare()[i]) assertTrue(k > 0 && k < 1, "a median keeps part of the tokens: " + k);
                // the engine keeps the biases: its next forward decides with them
                e.forward(xs[i], shape, new int[]{ts[i], ts[i]}, ys[i]);
                assertArrayEquals(expectedKept[i], e.lastStats().tokenFraction(), "forward after calibration at t=" + ts[i]);
            }
        }
    }
}
