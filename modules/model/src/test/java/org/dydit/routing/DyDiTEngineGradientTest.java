package org.dydit.routing;

import org.dydit.model.DyDiTGraph;
import org.dydit.model.DyDiTOutput;
import org.dydit.model.DyDiTTestModels;
import org.dydit.diffusion.CounterRandom;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTGraph;
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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's DyDiT training pass against the SameDiff reference graph in float64 on tiny models, with Gumbel
 * noise: the output, the masks (exactly), and the gradient of every parameter, routers included (their gradient
 * exists only through the straight-through estimator), of {@code sum(out * R) + FlopsLoss(masks)}.
 */
class DyDiTEngineGradientTest {

    @Test
    void everyGradientIncludingTheRoutersEqualsTheReferenceGraphs() {
        check(DyDiTTestModels.tiny(), 3, 11, 0.6);
        // two blocks, patch 4 (4 tokens), 2 heads, width 32 (token router width 2)
        check(new DiTConfig(8, 4, 4, 32, 2, 2, 3, true, 0.1, 4.0, true), 2, 23, 0.75);
    }

    private static void check(DiTConfig cfg, int b, long seed, double target) {
        LinkedHashMap<String, Tensor> w = DyDiTTestModels.randomWeights(cfg, seed, 0.5);
        INDArray x = DyDiTTestModels.gaussian(DataType.DOUBLE, seed + 1, b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        INDArray r = DyDiTTestModels.gaussian(DataType.DOUBLE, seed + 2, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
        double[] t = new double[b];
        int[] y = new int[b];
        long[] yl = new long[b];
        for (int i = 0; i < b; i++) {
            t[i] = (i * 397 + 11) % 1000;
            y[i] = i == b - 1 ? cfg.numClasses() : i % cfg.numClasses();
            yl[i] = y[i];
        }
        GumbelNoise noise = GumbelNoise.draw(new CounterRandom(seed), cfg, 7, 0, b);
        FlopsLoss flops = new FlopsLoss(cfg, FlopsLoss.REFERENCE_WEIGHT);

        // reference graph
        SameDiff sd = DyDiTGraph.build(cfg, NdTensors.toNd(w, DataType.DOUBLE), DataType.DOUBLE, false, DyDiTGraph.Mode.TRAIN);
        SDVariable loss = sd.getVariable(DiTGraph.OUT).mul(sd.constant("R", r)).sum()
                .add(flops.graph(sd, sd.getVariable(DyDiTGraph.ATTN_MASK), sd.getVariable(DyDiTGraph.MLP_MASK),
                        sd.getVariable(DyDiTGraph.TOKEN_MASK), target, DataType.DOUBLE));
        sd.setLossVariables(loss.name());
        Map<String, INDArray> ph = new HashMap<>(DyDiTGraph.noisePlaceholders(cfg, noise, DataType.DOUBLE));
        ph.put(DiTGraph.X, x);
        ph.put(DiTGraph.T, Nd4j.createFromArray(t));
        ph.put(DiTGraph.Y, Nd4j.createFromArray(yl));
        Map<String, INDArray> refOut = sd.output(ph, DiTGraph.OUT, DyDiTGraph.ATTN_MASK, DyDiTGraph.MLP_MASK, DyDiTGraph.TOKEN_MASK);
        DiTParams p = DiTParams.of(cfg, w, DataType.DOUBLE);
        Map<String, INDArray> ref = sd.calculateGradients(ph, p.keys());

        // engine
        DiTParams g = p.like();
        try (DiTEngine e = new DiTEngine(p)) {
            DyDiTRouting routing = new DyDiTRouting(e, GumbelSigmoid.TAU);
            routing.attach();
            routing.setNoise(noise);
            routing.setGradients(g);
            INDArray out = e.forward(x, t, y);
            double outErr = out.sub(refOut.get(DiTGraph.OUT)).amaxNumber().doubleValue();
            assertTrue(outErr < 1e-10, "forward differs from the reference graph by " + outErr);
            DyDiTOutput masks = routing.output(out);
            assertArrayEquals(refOut.get(DyDiTGraph.ATTN_MASK).castTo(DataType.FLOAT).data().asFloat(), masks.attnMask().data().asFloat());
            assertArrayEquals(refOut.get(DyDiTGraph.MLP_MASK).castTo(DataType.FLOAT).data().asFloat(), masks.mlpMask().data().asFloat());
            assertArrayEquals(refOut.get(DyDiTGraph.TOKEN_MASK).castTo(DataType.FLOAT).data().asFloat(), masks.tokenMask().data().asFloat());
            double[][][] m = routing.maskArrays();
            assertMixed(m);
            FlopsLoss.Gradient fg = flops.newGradient(b);
            flops.compute(m[0], m[1], m[2], target, fg);
            routing.setExtraMaskGradients(fg.head(), fg.channel(), fg.token());
            e.backward(r, g);
            routing.close();
        }
        List<String> bad = new ArrayList<>();
        double worst = 0;
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
            if (err > 1e-9 * scale + 1e-12) bad.add(String.format("%s: max |diff| %.3e (max |g| %.3e)", key, err, scale));
            if (org.dydit.model.DiTKeys.isRouterKey(key) && scale <= 1e-12) bad.add(key + ": router gradient is zero");
        }
        System.out.printf("DyDiT engine vs SameDiff (B=%d): %d tensors, worst max-diff/max-|g| %.2e%n", b, p.keys().size(), worst);
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    /** Both decisions occur for every router kind beyond the forced ones, so the test covers on and off paths. */
    private static void assertMixed(double[][][] m) {
        String[] kind = {"head", "channel", "token"};
        for (int k = 0; k < 3; k++) {
            int on = 0, off = 0;
            for (double[] block : m[k]) for (double v : block) if (v == 1) on++; else off++;
            assertTrue(on > 0 && off > 0, kind[k] + " masks are all " + (on > 0 ? "on" : "off") + ": choose other test weights");
        }
    }
}
