package org.dydit.dynamic;

import org.dydit.kernels.Buf;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.HashMap;
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
        FloatBuffer ps = fb(projW);
        float[] pw = new float[a * hd * d];
        for (int i = 0; i < a; i++) ps.get(heads[i] * hd * d, pw, i * hd * d, hd * d);
        return new Attn(Nd4j.create(qw, new long[]{d, w3}, 'c'), qb, Nd4j.create(pw, new long[]{(long) a * hd, d}, 'c'), a);
    }

    private Mlp buildMlp(int l, int[] groups) {
        int d = cfg.hiddenSize(), hid = cfg.mlpHidden(), gs = hid / cfg.numHeads(), n = groups.length;
        INDArray fc1W = w.get(DiTKeys.fc1(l) + ".weight"), fc2W = w.get(DiTKeys.fc2(l) + ".weight");
        float[] fc1BFull = w.heap(DiTKeys.fc1(l) + ".bias");
        if (n == cfg.numHeads()) return new Mlp(fc1W, fc1BFull, fc2W, hid);
        int width = n * gs;
        FloatBuffer s1 = fb(fc1W), s2 = fb(fc2W);
        float[] w1 = new float[d * width], b1 = new float[width], w2 = new float[width * d];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < d; r++) s1.get(r * hid + groups[i] * gs, w1, r * width + i * gs, gs);   // fc1^T columns
            System.arraycopy(fc1BFull, groups[i] * gs, b1, i * gs, gs);
            s2.get(groups[i] * gs * d, w2, i * gs * d, gs * d);                                       // fc2^T rows
        }
        return new Mlp(Nd4j.create(w1, new long[]{d, width}, 'c'), b1, Nd4j.create(w2, new long[]{width, d}, 'c'), width);
    }

    private static FloatBuffer fb(INDArray a) {
        return Buf.of(a).bytes().asFloatBuffer();
    }
}
