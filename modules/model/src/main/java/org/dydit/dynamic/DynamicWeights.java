package org.dydit.dynamic;

import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

/**
 * A model's weights for the inference engine: gemm operands as float32 C-order ND4J arrays stored transposed,
 * (in, out), because the backend's gemm runs 10-25% faster on a plain right operand than on a transposed one
 * for these shapes (measured: 2048x1536x384 330 vs 262 GFLOP/s); the router weights, read by Java kernels, only as
 * heap arrays in their original (out, in) layout, like the biases, tables and the timestep MLP; the adaLN weights,
 * read by a Java product kernel with only B rows on the left, as heap arrays transposed to (in, out).
 */
public final class DynamicWeights {
    private final Map<String, INDArray> nd = new HashMap<>();
    private final Map<String, float[]> heap = new HashMap<>();
    private final Map<String, float[]> heapT = new HashMap<>();

    public DynamicWeights(DiTConfig cfg, Map<String, Tensor> weights) {
        for (Map.Entry<String, long[]> e : DiTKeys.expected(cfg).entrySet()) {
            String k = e.getKey();
            Tensor t = weights.get(k);
            if (t == null) throw new IllegalArgumentException("model weights have no tensor '" + k + "'");
            long[] shape = e.getValue();
            long[] mat = shape.length == 4 ? new long[]{shape[0], shape[1] * shape[2] * shape[3]} : shape;
            float[] v = t.toFloats();
            if (k.endsWith(".weight") && k.contains("adaLN_modulation")) {
                heapT.put(k, transpose(v, (int) mat[0], (int) mat[1]));
                continue;
            }
            if (k.endsWith(".bias") || DiTKeys.isRouterKey(k) || k.equals(DiTKeys.POS_EMBED) || k.contains("adaLN_modulation")
                    || k.startsWith(DiTKeys.T_MLP0) || k.startsWith(DiTKeys.T_MLP2) || k.equals(DiTKeys.LABEL_TABLE)) {
                heap.put(k, v);
            }
            if (k.endsWith(".weight") && DiTKeys.isRouterKey(k)) {
                continue;   // read by Java kernels from the heap copy only
            } else if (k.endsWith(".weight") && !k.equals(DiTKeys.LABEL_TABLE) && !k.startsWith(DiTKeys.T_MLP0)
                    && !k.startsWith(DiTKeys.T_MLP2)) {
                nd.put(k, Nd4j.create(transpose(v, (int) mat[0], (int) mat[1]), new long[]{mat[1], mat[0]}, 'c'));
            }
        }
    }

    static float[] transpose(float[] v, int rows, int cols) {
        float[] t = new float[v.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
        return t;
    }

    /**
     * The ND4J array of a gemm operand, transposed to (in, out): patch, qkv, proj, fc1, fc2, final linear.
     */
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

    /** The heap copy of an adaLN weight, transposed to (in, out). */
    float[] heapTransposed(String key) {
        float[] a = heapT.get(key);
        if (a == null) throw new IllegalArgumentException("no transposed tensor '" + key + "'");
        return a;
    }

    public void close() {
        for (INDArray a : nd.values()) a.close();
    }
}
