package org.dydit.engine;

import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTGraph;
import org.dydit.model.DiTKeys;
import org.dydit.model.NdTensors;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine against the SameDiff reference graph ({@link DiTGraph}) in float64 on tiny models: the forward output
 * and the gradient of EVERY parameter tensor, all entries, of loss = sum(out * R) (analytic vs analytic, from
 * {@code sd.calculateGradients}).
 */
class EngineVsSameDiffGradientTest {

    @Test
    void everyParameterGradientEqualsTheReferenceGraphs() {
        check(EngineTestModels.tiny(), 2, 5);
        // a second shape: one block, patch 4 (4 tokens), 2 heads, odd batch
        check(new DiTConfig(8, 4, 4, 16, 1, 2, 3, true, 0.1, 4.0, false), 3, 9);
    }

    private static void check(DiTConfig cfg, int b, long seed) {
        LinkedHashMap<String, Tensor> w = EngineTestModels.randomWeights(cfg, seed);
        // the graph takes pos_embed from the weights; give it the fixed table the engine computes
        double[] pe = org.dydit.model.PositionEmbedding.sinCos2d(cfg.hiddenSize(), cfg.gridSize());
        w.put(DiTKeys.POS_EMBED, Tensor.ofDoubles(new long[]{1, cfg.tokens(), cfg.hiddenSize()}, pe));
        INDArray x = EngineTestModels.gaussian(DataType.DOUBLE, seed + 1, b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        INDArray r = EngineTestModels.gaussian(DataType.DOUBLE, seed + 2, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
        double[] t = new double[b];
        int[] y = new int[b];
        for (int i = 0; i < b; i++) {
            t[i] = (i * 397 + 11) % 1000;
            y[i] = i == b - 1 ? cfg.numClasses() : i % cfg.numClasses();
        }

        // reference
        SameDiff sd = DiTGraph.build(cfg, NdTensors.toNd(w, DataType.DOUBLE), DataType.DOUBLE, false);
        SDVariable loss = sd.getVariable(DiTGraph.OUT).mul(sd.constant("R", r)).sum();
        sd.setLossVariables(loss.name());
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(DiTGraph.X, x);
        ph.put(DiTGraph.T, Nd4j.createFromArray(t));
        long[] yl = new long[b];
        for (int i = 0; i < b; i++) yl[i] = y[i];
        ph.put(DiTGraph.Y, Nd4j.createFromArray(yl));
        INDArray refOut = sd.output(ph, DiTGraph.OUT).get(DiTGraph.OUT);
        DiTParams p = DiTParams.of(cfg, w, DataType.DOUBLE);
        Map<String, INDArray> ref;
        java.io.PrintStream stdout = System.out;   // SameDiff prints one line per differentiated op
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            ref = sd.calculateGradients(ph, p.keys());
        } finally {
            System.setOut(stdout);
        }

        DiTParams g = p.like();
        try (DiTEngine e = new DiTEngine(p)) {
            INDArray out = e.forward(x, t, y);
            double outErr = out.sub(refOut).amaxNumber().doubleValue();
            assertTrue(outErr < 1e-10, "forward differs from the reference graph by " + outErr);
            e.backward(r, g);
        }
        List<String> bad = new ArrayList<>();
        double worst = 0;
        long entries = 0;
        for (String key : p.keys()) {
            INDArray want = ref.get(key);
            if (want == null) {
                bad.add(key + ": the reference graph has no gradient");
                continue;
            }
            INDArray got = g.get(key).reshape(want.shape());
            double scale = Math.max(1e-12, want.amaxNumber().doubleValue());
            double err = got.sub(want).amaxNumber().doubleValue();
            worst = Math.max(worst, err / scale);
            entries += want.length();
            if (err > 1e-9 * scale + 1e-12) bad.add(String.format("%s: max |diff| %.3e (max |g| %.3e)", key, err, scale));
        }
        System.out.printf("engine vs SameDiff (%s, B=%d): %d tensors, %d entries, worst max-diff/max-|g| %.2e%n",
                cfg, b, p.keys().size(), entries, worst);
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }
}
