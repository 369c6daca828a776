package org.dydit.dynamic;

import org.dydit.kernels.NdBuffer;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * TDW's sliced weights: for a set of active heads, the qkv rows of those heads (q, k and v blocks, with bias)
 * and the matching input columns of proj; for a set of active MLP channel groups, the fc1 rows (with bias) and
 * the matching fc2 columns. Built once per distinct set and layer and cached; the full set is the original
 * weight itself. proj.bias and fc2.bias are never sliced: the masked reference adds them in full.
 */
final class WidthSlices {
    /** The attention weights of {@code heads} active heads, transposed: qkv (D, 3 a hd) + bias, proj (a hd, D). */
    record Attn(INDArray qkvW, float[] qkvB, INDArray projW, int heads) {}

    /** The MLP weights of {@code hidden} active channels, transposed: fc1 (D, hidden) + bias, fc2 (hidden, D). */
    record Mlp(INDArray fc1W, float[] fc1B, INDArray fc2W, int hidden) {}

    private final DiTConfig cfg;
    private final DynamicWeights w;
    private final Map<Long, Attn>[] attn;
    private final Map<Long, Mlp>[] mlp;
    private final List<INDArray> copies = new ArrayList<>();   // the sliced weights this object allocated

    @SuppressWarnings("unchecked")
    WidthSlices(DiTConfig cfg, DynamicWeights w) {
        this.cfg = cfg;
        this.w = w;
        attn = new Map[cfg.depth()];
        mlp = new Map[cfg.depth()];
        for (int l = 0; l < cfg.depth(); l++) {
            attn[l] = new HashMap<>();
            mlp[l] = new HashMap<>();
        }
    }

    static long key(int[] set) {
        long k = 0;
        for (int h : set) k |= 1L << h;
        return k;
    }

    /** The number of distinct sets built so far (full sets included), over all layers. */
    int cached() {
        int n = 0;
        for (int l = 0; l < cfg.depth(); l++) n += attn[l].size() + mlp[l].size();
        return n;
    }

    Attn attn(int layer, int[] heads) {
        return attn[layer].computeIfAbsent(key(heads), k -> buildAttn(layer, heads));
    }

    Mlp mlp(int layer, int[] groups) {
        return mlp[layer].computeIfAbsent(key(groups), k -> buildMlp(layer, groups));
    }

    private Attn buildAttn(int l, int[] heads) {
        int d = cfg.hiddenSize(), hd = cfg.headDim(), a = heads.length, w3 = 3 * a * hd;
        INDArray qkvW = w.get(DiTKeys.qkv(l) + ".weight"), projW = w.get(DiTKeys.proj(l) + ".weight");
        float[] qkvBFull = w.heap(DiTKeys.qkv(l) + ".bias");
        if (a == cfg.numHeads()) return new Attn(qkvW, qkvBFull, projW, a);
        // qkv^T (D, 3D): per input row, the q, k, v column blocks of the active heads
        FloatBuffer src = fb(qkvW);
        float[] qw = new float[d * w3];
        float[] qb = new float[w3];
        for (int part = 0; part < 3; part++) {
            for (int i = 0; i < a; i++) {
                int srcCol = part * d + heads[i] * hd, dstCol = (part * a + i) * hd;
                for (int r = 0; r < d; r++) src.get(r * 3 * d + srcCol, qw, r * w3 + dstCol, hd);
                System.arraycopy(qkvBFull, srcCol, qb, dstCol, hd);
            }
        }
        // proj^T (D, D): the input rows of the active heads
        INDArray pw = rows(projW, heads, hd, d);
        return new Attn(owned(Nd4j.create(qw, new long[]{d, w3}, 'c')), qb, pw, a);
    }

    private Mlp buildMlp(int l, int[] groups) {
        int d = cfg.hiddenSize(), hid = cfg.mlpHidden(), gs = hid / cfg.numHeads(), n = groups.length;
        INDArray fc1W = w.get(DiTKeys.fc1(l) + ".weight"), fc2W = w.get(DiTKeys.fc2(l) + ".weight");
        float[] fc1BFull = w.heap(DiTKeys.fc1(l) + ".bias");
        if (n == cfg.numHeads()) return new Mlp(fc1W, fc1BFull, fc2W, hid);
        int width = n * gs;
        FloatBuffer s1 = fb(fc1W);
        float[] w1 = new float[d * width], b1 = new float[width];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < d; r++) s1.get(r * hid + groups[i] * gs, w1, r * width + i * gs, gs);   // fc1^T columns
            System.arraycopy(fc1BFull, groups[i] * gs, b1, i * gs, gs);
        }
        return new Mlp(owned(Nd4j.create(w1, new long[]{d, width}, 'c')), b1, rows(fc2W, groups, gs, d), width);   // fc2^T rows
    }

    /**
     * The row blocks {@code sets[i] * block .. + block} of a C-order (rows, cols) weight, stacked: a view of the
     * weight when the blocks are consecutive (TDW's sets are usually the first heads or groups), else a copy. Views
     * keep DiT-XL/2's many width sets from holding a copy of every proj and fc2 slice.
     */
    private INDArray rows(INDArray full, int[] sets, int block, int cols) {
        int n = sets.length;
        boolean consecutive = true;
        for (int i = 1; i < n; i++) consecutive &= sets[i] == sets[0] + i;
        long first = (long) sets[0] * block, count = (long) n * block;
        if (consecutive) return Nd4j.create(full.data(), new long[]{count, cols}, new long[]{cols, 1}, first * cols, 'c');
        FloatBuffer src = fb(full);
        float[] v = new float[Math.toIntExact(count * cols)];
        for (int i = 0; i < n; i++) src.get(sets[i] * block * cols, v, i * block * cols, block * cols);
        return owned(Nd4j.create(v, new long[]{count, cols}, 'c'));
    }

    private INDArray owned(INDArray a) {
        copies.add(a);
        return a;
    }

    /** Frees the copies' off-heap memory now rather than at some later GC (a DiT-XL/2 engine holds gigabytes). */
    void close() {
        for (INDArray a : copies) a.close();
        copies.clear();
        for (int l = 0; l < cfg.depth(); l++) {
            attn[l].clear();
            mlp[l].clear();
        }
    }

    private static FloatBuffer fb(INDArray a) {
        return NdBuffer.of(a).bytes().asFloatBuffer();
    }
}
