package org.dydit.engine;

import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * float64 central differences against the engine's own backward pass, on a tiny DiT: entries of every parameter
 * tensor, and the DyDiT mask gradients (soft masks) that routers will receive. Loss = sum(out * R), R fixed.
 */
class EngineGradientCheckTest {
    static final double EPS = 1e-5;
    static final double REL_TOL = 1e-5;
    static final double ABS_TOL = 1e-8;

    private static double loss(DiTEngine e, INDArray x, double[] t, int[] y, INDArray r) {
        return e.forward(x, t, y).mul(r).sumNumber().doubleValue();
    }

    static double worstRel;

    private static String compare(String what, double analytic, double numeric) {
        double err = Math.abs(analytic - numeric);
        double scale = Math.max(Math.abs(analytic), Math.abs(numeric));
        if (scale > 1e-6) worstRel = Math.max(worstRel, err / scale);
        if (err <= ABS_TOL + REL_TOL * scale) return null;
        return String.format("%s: analytic %.10g numeric %.10g (rel %.2e)", what, analytic, numeric, err / Math.max(scale, 1e-300));
    }

    @Test
    void everyParameterGradientMatchesCentralDifferences() {
        DiTConfig cfg = EngineTestModels.tiny();
        DiTParams p = DiTParams.of(cfg, EngineTestModels.randomWeights(cfg, 7), DataType.DOUBLE);
        DiTParams g = p.like();
        int b = 2;
        INDArray x = EngineTestModels.gaussian(DataType.DOUBLE, 1, b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        double[] t = {17, 803};
        int[] y = {3, cfg.numClasses()};
        INDArray r = EngineTestModels.gaussian(DataType.DOUBLE, 2, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
        try (DiTEngine e = new DiTEngine(p)) {
            loss(e, x, t, y, r);
            e.backward(r, g);
            Random pick = new Random(3);
            List<String> bad = new ArrayList<>();
            int checked = 0;
            for (String key : p.keys()) {
                INDArray pv = p.get(key), gv = g.get(key);
                int n = (int) pv.length();
                // the largest-gradient entry plus random ones; for the label table, entries of used rows
                List<Integer> idx = new ArrayList<>();
                idx.add(gv.reshape(n).argMax(0).getInt(0));
                for (int k = 0; k < 4; k++) {
                    if (key.equals(DiTKeys.LABEL_TABLE)) idx.add(y[k % b] * cfg.hiddenSize() + pick.nextInt(cfg.hiddenSize()));
                    else idx.add(pick.nextInt(n));
                }
                INDArray flatV = pv.reshape(n), flatG = gv.reshape(n);
                for (int i : idx) {
                    double orig = flatV.getDouble(i);
                    flatV.putScalar(i, orig + EPS);
                    double lp = loss(e, x, t, y, r);
                    flatV.putScalar(i, orig - EPS);
                    double lm = loss(e, x, t, y, r);
                    flatV.putScalar(i, orig);
                    String msg = compare(key + "[" + i + "]", flatG.getDouble(i), (lp - lm) / (2 * EPS));
                    if (msg != null) bad.add(msg);
                    checked++;
                }
            }
            System.out.printf("engine gradient check: %d entries of %d tensors, worst relative error %.2e (|g| > 1e-6)%n",
                    checked, p.keys().size(), worstRel);
            assertTrue(bad.isEmpty(), bad.size() + " of " + checked + " entries differ:\n" + String.join("\n", bad));
            // a label row no sample used gets no gradient
            INDArray table = g.get(DiTKeys.LABEL_TABLE);
            assertEquals(0.0, table.getRow(0).norm2Number().doubleValue(), 0.0);
            assertTrue(g.flat().norm2Number().doubleValue() > 0);
        }
    }

    @Test
    void maskGradientsMatchCentralDifferences() {
        DiTConfig cfg = EngineTestModels.tiny();
        DiTParams p = DiTParams.of(cfg, EngineTestModels.randomWeights(cfg, 11), DataType.DOUBLE);
        DiTParams g = p.like();
        int b = 2, h = cfg.numHeads(), bt = b * cfg.tokens();
        INDArray x = EngineTestModels.gaussian(DataType.DOUBLE, 4, b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        double[] t = {999, 0};
        int[] y = {1, 4};
        INDArray r = EngineTestModels.gaussian(DataType.DOUBLE, 5, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
        BlockMasks[] masks = new BlockMasks[cfg.depth()];
        for (int l = 0; l < masks.length; l++) {
            BlockMasks m = new BlockMasks();
            m.head = EngineTestModels.uniform(DataType.DOUBLE, 10 + l, 0.1, 1, b, h);
            m.channel = EngineTestModels.uniform(DataType.DOUBLE, 20 + l, 0.1, 1, b, h);
            m.token = EngineTestModels.uniform(DataType.DOUBLE, 30 + l, 0.1, 1, bt);
            m.dHead = m.head.like();
            m.dChannel = m.channel.like();
            m.dToken = m.token.like();
            masks[l] = m;
        }
        try (DiTEngine e = new DiTEngine(p)) {
            e.setMasks(masks);
            loss(e, x, t, y, r);
            e.backward(r, g);
            List<String> bad = new ArrayList<>();
            int checked = 0;
            for (int l = 0; l < masks.length; l++) {
                BlockMasks m = masks[l];
                INDArray[][] pairs = {{m.head, m.dHead}, {m.channel, m.dChannel}, {m.token, m.dToken}};
                String[] names = {"head", "channel", "token"};
                for (int k = 0; k < pairs.length; k++) {
                    INDArray v = pairs[k][0], dv = pairs[k][1];
                    for (int i = 0; i < v.length(); i += Math.max(1, (int) v.length() / 6)) {
                        double orig = v.getDouble(i);
                        v.putScalar(i, orig + EPS);
                        double lp = loss(e, x, t, y, r);
                        v.putScalar(i, orig - EPS);
                        double lm = loss(e, x, t, y, r);
                        v.putScalar(i, orig);
                        String msg = compare("block " + l + " " + names[k] + "[" + i + "]", dv.getDouble(i), (lp - lm) / (2 * EPS));
                        if (msg != null) bad.add(msg);
                        checked++;
                    }
                }
            }
            System.out.printf("mask gradient check: %d entries, worst relative error %.2e%n", checked, worstRel);
            assertTrue(bad.isEmpty(), bad.size() + " of " + checked + " mask entries differ:\n" + String.join("\n", bad));
        }
    }
}
