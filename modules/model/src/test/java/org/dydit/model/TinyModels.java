package org.dydit.model;

import org.dydit.formats.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Tiny configs and inputs for fast tests. */
final class TinyModels {
    private TinyModels() {}

    /** input 8, patch 2 (16 tokens), 3 channels, width 32, 2 blocks, 4 heads, 5 classes. */
    static DiTConfig config() {
        return new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, false);
    }

    /**
     * The paper's initialisation with the zero-initialised tensors (adaLN, final layer) replaced by small random
     * values, so that every part of the graph influences the output.
     */
    static LinkedHashMap<String, Tensor> randomWeights(DiTConfig cfg, long seed) {
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, seed);
        Random r = new Random(seed + 1);
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            String k = e.getKey();
            if (k.contains("adaLN_modulation") || k.startsWith(DiTKeys.FINAL_LINEAR) || k.endsWith(".bias")) {
                e.setValue(gaussian(e.getValue().shape(), 0.1, r));
            }
        }
        return w;
    }

    static Tensor gaussian(long[] shape, double std, Random r) {
        float[] v = new float[Math.toIntExact(Tensor.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
        return Tensor.ofFloats(shape, v);
    }

    static INDArray x(DiTConfig c, int batch, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, batch, c.inChannels(), c.inputSize(), c.inputSize());
    }

    static INDArray t(long... steps) {
        return Nd4j.createFromArray(steps).castTo(DataType.FLOAT);
    }

    static INDArray y(long... labels) {
        return Nd4j.createFromArray(labels);
    }
}
