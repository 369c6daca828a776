package org.dydit.model;

import org.dydit.formats.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Tiny DyDiT configs, random weights and inputs. */
public final class DyDiTTestModels {
    private DyDiTTestModels() {}

    /** input 8, patch 2 (16 tokens), 3 channels, width 32, 2 blocks, 4 heads, 5 classes, dynamic. */
    public static DiTConfig tiny() {
        return new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, true);
    }

    /**
     * Gaussian weights of fan-in scale for every tensor (adaLN and final layer included, so every parameter and
     * every mask matters); router biases N(0, {@code routerBiasStd}) so decisions are mixed. pos_embed is the fixed
     * sin-cos table.
     */
    public static LinkedHashMap<String, Tensor> randomWeights(DiTConfig cfg, long seed, double routerBiasStd) {
        Random r = new Random(seed);
        LinkedHashMap<String, Tensor> w = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : DiTKeys.expected(cfg).entrySet()) {
            long[] s = e.getValue();
            float[] v = new float[Math.toIntExact(Tensor.numel(s))];
            if (e.getKey().equals(DiTKeys.POS_EMBED)) {
                // float64: the engine computes the fixed table in the run's type; float64 tests compare to 1e-10
                w.put(e.getKey(), Tensor.ofDoubles(s, PositionEmbedding.sinCos2d(cfg.hiddenSize(), cfg.gridSize())));
                continue;
            } else {
                double std = s.length >= 2 ? 1.0 / Math.sqrt(s[1] * (s.length == 4 ? s[2] * s[3] : 1)) : 0.1;
                if (e.getKey().equals(DiTKeys.LABEL_TABLE)) std = 0.5;
                if (DiTKeys.isRouterKey(e.getKey()) && e.getKey().endsWith(".bias")) std = routerBiasStd;
                for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
            }
            w.put(e.getKey(), Tensor.ofFloats(s, v));
        }
        return w;
    }

    public static INDArray gaussian(DataType dt, long seed, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long s : shape) n *= s;
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Nd4j.create(v, shape, 'c').castTo(dt);
    }
}
