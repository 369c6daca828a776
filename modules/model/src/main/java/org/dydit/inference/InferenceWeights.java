package org.dydit.inference;

import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * A model's weights as float32 C-order ND4J arrays (gemm operands; linear weights (out, in), the patch conv as
 * (D, C p p)), plus heap copies of the small vectors (biases, router weights) that the Java kernels read.
 */
final class InferenceWeights {
    private final Map<String, INDArray> nd = new HashMap<>();
    private final Map<String, float[]> heap = new HashMap<>();

    InferenceWeights(DiTConfig cfg, Map<String, Tensor> weights) {
        for (Map.Entry<String, long[]> e : DiTKeys.expected(cfg).entrySet()) {
            String k = e.getKey();
            Tensor t = weights.get(k);
            if (t == null) throw new IllegalArgumentException("model weights have no tensor '" + k + "'");
            long[] shape = e.getValue();
            long[] mat = shape.length == 4 ? new long[]{shape[0], shape[1] * shape[2] * shape[3]} : shape;
            float[] v = t.toFloats();
            if (k.endsWith(".bias") || DiTKeys.isRouterKey(k) || k.equals(DiTKeys.POS_EMBED)
                    || k.startsWith(DiTKeys.T_MLP0) || k.startsWith(DiTKeys.T_MLP2) || k.equals(DiTKeys.LABEL_TABLE)) {
                heap.put(k, v);
            }
            if (!k.endsWith(".bias") && !k.equals(DiTKeys.POS_EMBED)) {
                nd.put(k, Nd4j.create(v, mat, 'c'));
            }
        }
    }

    /** The ND4J array of a weight matrix. */
    INDArray get(String key) {
        INDArray a = nd.get(key);
        if (a == null) throw new IllegalArgumentException("no weight matrix '" + key + "'");
        return a;
    }

    /** The heap copy of a bias, router tensor, table or timestep-MLP tensor (row-major). */
    float[] heap(String key) {
        float[] a = heap.get(key);
        if (a == null) throw new IllegalArgumentException("no tensor '" + key + "'");
        return a;
    }

    void close() {
        for (INDArray a : nd.values()) a.close();
    }
}
