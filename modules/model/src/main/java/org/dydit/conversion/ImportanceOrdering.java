package org.dydit.conversion;

import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;

import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Importance ordering before fine-tuning: a function-preserving permutation of each block's attention heads and
 * MLP channel groups, most important first, so that the always-on head 0 and group 0 are the strongest.
 *
 * <p>Criterion (ours; the paper's norm is not public): a unit's importance is the product of the Frobenius norms
 * of the weights that carry its signal in and out. Head h: {@code ‖W_v[h]‖·‖W_proj[:, h]‖} (its value rows and its
 * output-projection columns; queries and keys only choose where a head looks, not how much it can write). MLP group
 * g: {@code ‖W_fc1[g]‖·‖W_fc2[:, g]‖}. The product bounds how much a unit can change the block's output per unit of
 * input, and it is invariant to rescaling between the two factors. Ties keep the original order.
 *
 * <p>The permutation moves q, k and v row blocks (and biases) of {@code qkv} and the matching column blocks of
 * {@code proj}; {@code fc1} rows and bias and {@code fc2} columns. Attention is a sum over heads and the MLP a sum
 * over channels, so the output is unchanged up to float summation order.
 */
public final class ImportanceOrdering {
    private ImportanceOrdering() {}

    /** The permuted weights and, per block, the original index of each new head / group position. */
    public record Result(LinkedHashMap<String, Tensor> weights, int[][] headOrder, int[][] groupOrder) {}

    /** Reorders a DiT state dict (float tensors under the original keys); router keys must not be present yet. */
    public static Result apply(DiTConfig cfg, Map<String, Tensor> weights) {
        for (String k : weights.keySet()) {
            if (DiTKeys.isRouterKey(k)) {
                throw new IllegalArgumentException("importance ordering permutes a DiT before its routers are added, but the weights hold '"
                        + k + "': routers are trained for a fixed order of heads and groups");
            }
        }
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>(weights);
        int depth = cfg.depth(), heads = cfg.numHeads(), d = cfg.hiddenSize(), hd = cfg.headDim();
        int hidden = cfg.mlpHidden(), gs = hidden / heads;
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("MLP width " + hidden + " does not split into " + heads + " channel groups");
        }
        int[][] headOrder = new int[depth][];
        int[][] groupOrder = new int[depth][];
        for (int l = 0; l < depth; l++) {
            float[] qkvW = get(weights, DiTKeys.qkv(l) + ".weight"), qkvB = get(weights, DiTKeys.qkv(l) + ".bias");
            float[] projW = get(weights, DiTKeys.proj(l) + ".weight");
            float[] fc1W = get(weights, DiTKeys.fc1(l) + ".weight"), fc1B = get(weights, DiTKeys.fc1(l) + ".bias");
            float[] fc2W = get(weights, DiTKeys.fc2(l) + ".weight");

            double[] headScore = new double[heads];
            for (int h = 0; h < heads; h++) {
                headScore[h] = Math.sqrt(rowsNorm2(qkvW, 2 * d + h * hd, hd, d)) * Math.sqrt(colsNorm2(projW, d, d, h * hd, hd));
            }
            double[] groupScore = new double[heads];
            for (int g = 0; g < heads; g++) {
                groupScore[g] = Math.sqrt(rowsNorm2(fc1W, g * gs, gs, d)) * Math.sqrt(colsNorm2(fc2W, d, hidden, g * gs, gs));
            }
            int[] ho = descending(headScore);
            int[] go = descending(groupScore);
            headOrder[l] = ho;
            groupOrder[l] = go;

            float[] nQkvW = new float[qkvW.length], nQkvB = new float[qkvB.length];
            for (int part = 0; part < 3; part++) {
                for (int h = 0; h < heads; h++) {
                    int from = part * d + ho[h] * hd, to = part * d + h * hd;
                    System.arraycopy(qkvW, from * d, nQkvW, to * d, hd * d);
                    System.arraycopy(qkvB, from, nQkvB, to, hd);
                }
            }
            float[] nProjW = permuteColumns(projW, d, d, ho, hd);
            float[] nFc1W = new float[fc1W.length], nFc1B = new float[fc1B.length];
            for (int g = 0; g < heads; g++) {
                System.arraycopy(fc1W, go[g] * gs * d, nFc1W, g * gs * d, gs * d);
                System.arraycopy(fc1B, go[g] * gs, nFc1B, g * gs, gs);
            }
            float[] nFc2W = permuteColumns(fc2W, d, hidden, go, gs);
            put(out, weights, DiTKeys.qkv(l) + ".weight", nQkvW);
            put(out, weights, DiTKeys.qkv(l) + ".bias", nQkvB);
            put(out, weights, DiTKeys.proj(l) + ".weight", nProjW);
            put(out, weights, DiTKeys.fc1(l) + ".weight", nFc1W);
            put(out, weights, DiTKeys.fc1(l) + ".bias", nFc1B);
            put(out, weights, DiTKeys.fc2(l) + ".weight", nFc2W);
        }
        return new Result(out, headOrder, groupOrder);
    }

    private static float[] get(Map<String, Tensor> w, String key) {
        Tensor t = w.get(key);
        if (t == null) throw new IllegalArgumentException("importance ordering: the weights have no '" + key + "'");
        return t.toFloats();
    }

    private static void put(Map<String, Tensor> out, Map<String, Tensor> in, String key, float[] v) {
        out.put(key, Tensor.ofFloats(in.get(key).shape(), v));
    }

    /** Sum of squares of rows [r0, r0+n) of a (rows, width) matrix. */
    private static double rowsNorm2(float[] m, int r0, int n, int width) {
        double s = 0;
        for (int i = r0 * width; i < (r0 + n) * width; i++) s += (double) m[i] * m[i];
        return s;
    }

    /** Sum of squares of columns [c0, c0+n) of a (rows, cols) matrix. */
    private static double colsNorm2(float[] m, int rows, int cols, int c0, int n) {
        double s = 0;
        for (int r = 0; r < rows; r++) for (int c = c0; c < c0 + n; c++) s += (double) m[r * cols + c] * m[r * cols + c];
        return s;
    }

    /** Column blocks of width {@code block}: new block j is old block {@code order[j]}. */
    private static float[] permuteColumns(float[] m, int rows, int cols, int[] order, int block) {
        float[] o = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < order.length; j++) {
                System.arraycopy(m, r * cols + order[j] * block, o, r * cols + j * block, block);
            }
        }
        return o;
    }

    private static int[] descending(double[] score) {
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble((Integer i) -> -score[i]));   // stable: ties keep their order
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }
}
