package org.dydit.model;

import org.dydit.formats.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The paper's initialisation: the properties it exists for, and the statistics of each tensor. */
class DiTInitTest {

    @Test
    void freshModelOutputIsZero() {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = DiTModel.init(cfg, 7);
        INDArray out = m.forward(TinyModels.x(cfg, 3, 1), TinyModels.t(0, 500, 999), TinyModels.y(0, 4, 5));
        assertEquals(0.0, out.amaxNumber().doubleValue(), 0.0, "final layer is zero-initialised");
        assertArrayEquals(new long[]{3, cfg.outChannels(), cfg.inputSize(), cfg.inputSize()}, out.shape());
    }

    /**
     * adaLN-Zero makes every block the identity: with the final layer made non-zero, a 1-block and a 3-block model
     * (same seed, so shared keys hold the same values) give the same output.
     */
    @Test
    void everyBlockStartsAsIdentity() {
        DiTConfig c = TinyModels.config();
        DiTConfig one = new DiTConfig(c.inputSize(), c.patchSize(), c.inChannels(), c.hiddenSize(), 1, c.numHeads(),
                c.numClasses(), true, 0.1, 4.0, false);
        DiTConfig three = new DiTConfig(c.inputSize(), c.patchSize(), c.inChannels(), c.hiddenSize(), 3, c.numHeads(),
                c.numClasses(), true, 0.1, 4.0, false);
        INDArray x = TinyModels.x(c, 2, 3);
        INDArray a = withLiveFinalLayer(one).forward(x, TinyModels.t(10, 900), TinyModels.y(1, 5));
        INDArray b = withLiveFinalLayer(three).forward(x, TinyModels.t(10, 900), TinyModels.y(1, 5));
        assertTrue(a.amaxNumber().doubleValue() > 1e-3, "output should be non-zero with a live final layer");
        assertEquals(0.0, a.sub(b).amaxNumber().doubleValue(), 1e-6);
    }

    private static DiTModel withLiveFinalLayer(DiTConfig cfg) {
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 11);
        Random r = new Random(5);
        for (String k : new String[]{DiTKeys.FINAL_LINEAR + ".weight", DiTKeys.FINAL_LINEAR + ".bias",
                DiTKeys.FINAL_ADALN + ".weight", DiTKeys.FINAL_ADALN + ".bias"}) {
            w.put(k, TinyModels.gaussian(w.get(k).shape(), 0.1, r));
        }
        try {
            return DiTModel.of(cfg, w, "test weights", "test config");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        DiTConfig cfg = TinyModels.config();
        Map<String, Tensor> a = DiTInit.init(cfg, 42);
        Map<String, Tensor> b = DiTInit.init(cfg, 42);
        Map<String, Tensor> c = DiTInit.init(cfg, 43);
        assertEquals(a, b);
        String k = DiTKeys.qkv(0) + ".weight";
        assertFalse(a.get(k).equals(c.get(k)));
        // adding routers does not change the other tensors
        Map<String, Tensor> dyn = DiTInit.init(cfg.withDynamic(true), 42);
        a.forEach((key, t) -> assertEquals(t, dyn.get(key), key));
    }

    @Test
    void tensorStatistics() {
        DiTConfig cfg = new DiTConfig(8, 2, 4, 128, 2, 4, 10, true, 0.1, 4.0, true);
        Map<String, Tensor> w = DiTInit.init(cfg, 3);
        assertEquals(DiTKeys.expected(cfg).keySet(), w.keySet());
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            String k = e.getKey();
            float[] v = e.getValue().toFloats();
            long[] s = e.getValue().shape();
            if (k.equals(DiTKeys.POS_EMBED)) continue;                 // checked against the reference in the golden test
            if (k.contains("adaLN_modulation") || k.startsWith(DiTKeys.FINAL_LINEAR + ".")) {
                assertAll(v, 0f, k);
            } else if (k.endsWith(".bias")) {
                float want = k.contains(".attn_rate.") || k.contains(".mlp_rate.") ? 15f
                        : k.contains(".token_selection.mlp_head.2.") ? 35f : 0f;
                assertAll(v, want, k);
            } else if (k.equals(DiTKeys.LABEL_TABLE) || k.startsWith("t_embedder.")) {
                assertMoments(v, 0.02 * 0.02, k);
            } else {
                long fanOut = s[0];
                long fanIn = e.getValue().numel() / fanOut;              // patch conv viewed as (D, C*p*p)
                double a = Math.sqrt(6.0 / (fanIn + fanOut));
                for (float f : v) assertTrue(Math.abs(f) <= a, k + ": " + f + " outside xavier bound " + a);
                assertMoments(v, a * a / 3, k);
            }
        }
    }

    private static void assertAll(float[] v, float want, String k) {
        for (float f : v) assertEquals(want, f, 0f, k);
    }

    /** Mean 0 and the given variance, within 5 standard errors of the sample statistics. */
    private static void assertMoments(float[] v, double var, String k) {
        double s = 0, s2 = 0;
        for (float f : v) {
            s += f;
            s2 += (double) f * f;
        }
        int n = v.length;
        double mean = s / n;
        double sampleVar = s2 / n - mean * mean;
        assertEquals(0.0, mean, 5 * Math.sqrt(var / n), k + " mean");
        assertEquals(var, sampleVar, 5 * var * Math.sqrt(2.0 / n) + 1e-12, k + " variance");
    }
}
