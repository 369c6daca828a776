package org.dydit.engine;

import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DyDiTTestModels;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Random;

/** Tiny configs, random weights and inputs for engine tests. */
public final class EngineTestModels {
    private EngineTestModels() {}

    /** input 8, patch 2 (16 tokens), 3 channels, width 32, 2 blocks, 4 heads, 5 classes. */
    public static DiTConfig tiny() {
        return new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, false);
    }

    /**
     * Gaussian weights of fan-in scale for every tensor, including the ones the paper zero-initialises (adaLN,
     * final layer), so that every parameter influences the output: {@link DyDiTTestModels#randomWeights} (router
     * biases N(0, 0.1) where the config has routers).
     */
    public static LinkedHashMap<String, Tensor> randomWeights(DiTConfig cfg, long seed) {
        return DyDiTTestModels.randomWeights(cfg, seed, 0.1);
    }

    public static INDArray gaussian(DataType dt, long seed, long... shape) {
        return DyDiTTestModels.gaussian(dt, seed, shape);
    }

    public static INDArray uniform(DataType dt, long seed, double lo, double hi, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long s : shape) n *= s;
        double[] v = new double[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * r.nextDouble();
        return Nd4j.create(v, shape, 'c').castTo(dt);
    }
}
