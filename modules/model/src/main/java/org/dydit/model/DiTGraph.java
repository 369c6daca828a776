package org.dydit.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

/**
 * The DiT of Peebles and Xie as a SameDiff graph: the reference implementation that the hand-written engine,
 * golden parity and gradient checks are measured against.
 *
 * <p>Placeholders: {@link #X} (B,C,H,W) in the graph's float type, {@link #T} (B) original-scale timesteps in the
 * float type, {@link #Y} (B) INT64 labels ({@code num_classes} = null class), and in training graphs with class
 * dropout {@link #DROP} (B) in the float type, 1 where the label is replaced by the null class. The batch
 * dimension is dynamic. Output {@link #OUT} (B, outChannels, H, W).
 *
 * <p>Trainable weights are SameDiff variables named by their original PyTorch keys ({@link DiTKeys}); the fixed
 * {@code pos_embed} is a constant. Residual streams are kept as (B*T, D) so that every linear layer is one plain
 * 2-D matmul; they are viewed as (B, T, D) only to broadcast per-sample modulation.
 *
 * <p>Subclasses (DyDiT) override {@link #attention}, {@link #mlpBranch} or {@link #block} to add routers;
 * {@link #timestepEmbedding()} is kept because DyDiT's width routers read it.
 */
public class DiTGraph {
    public static final String X = "x";
    public static final String T = "t";
    public static final String Y = "y";
    public static final String DROP = "drop";
    public static final String OUT = "out";

    /** LayerNorm epsilon of every norm in DiT (no affine parameters). */
    public static final double LN_EPS = 1e-6;

    protected final DiTConfig cfg;
    protected final DataType dtype;
    protected final boolean training;
    protected final SameDiff sd;
    private final Map<String, INDArray> weights;
    private SDVariable tEmb;

    protected DiTGraph(DiTConfig cfg, Map<String, INDArray> weights, DataType dtype, boolean training) {
        if (!dtype.isFPType()) throw new IllegalArgumentException("DiT graph needs a floating point type, got " + dtype);
        this.cfg = cfg;
        this.weights = weights;
        this.dtype = dtype;
        this.training = training;
        this.sd = SameDiff.create();
    }

    /**
     * Builds the graph of {@code cfg} holding {@code weights} (original keys; extra router keys are ignored here) cast
     * to {@code dtype}. {@code training} adds the class-dropout placeholder when the config uses class dropout.
     */
    public static SameDiff build(DiTConfig cfg, Map<String, INDArray> weights, DataType dtype, boolean training) {
        DiTGraph g = new DiTGraph(cfg, weights, dtype, training);
        g.define();
        return g.sd;
    }

    /** Declares placeholders and the whole forward pass; the result is named {@link #OUT}. */
    protected void define() {
        int c = cfg.inChannels();
        int side = cfg.inputSize();
        SDVariable x = sd.placeHolder(X, dtype, -1, c, side, side);
        SDVariable t = sd.placeHolder(T, dtype, -1);
        SDVariable y = sd.placeHolder(Y, DataType.INT64, -1);
        SDVariable drop = training && cfg.classDropoutProb() > 0 ? sd.placeHolder(DROP, dtype, -1) : null;

        SDVariable h = patchEmbed(x);                                   // (B*T, D)
        tEmb = timestepEmbed(t);                                        // (B, D)
        SDVariable cond = tEmb.add(labelEmbed(y, drop));                // (B, D)
        for (int i = 0; i < cfg.depth(); i++) {
            h = block(i, h, cond);
        }
        SDVariable out = unpatchify(finalLayer(h, cond));
        sd.updateVariableNameAndReference(out, OUT);
    }

    /** The timestep embedding E_t (B, D) of this graph (DyDiT's width routers take it as input). */
    protected SDVariable timestepEmbedding() {
        return tEmb;
    }

    // ---- parameters

    /** A trainable variable holding the weight stored under {@code key}, in the graph's type. */
    protected SDVariable param(String key) {
        SDVariable v = sd.getVariable(key);
        if (v != null) return v;
        return sd.var(key, weight(key).castTo(dtype));
    }

    protected INDArray weight(String key) {
        INDArray w = weights.get(key);
        if (w == null) throw new IllegalArgumentException("DiT graph: no weight '" + key + "'");
        return w;
    }

    /** {@code x W^T + b} with PyTorch's (out, in) weight layout. x is (N, in). */
    protected SDVariable linear(SDVariable x, String name) {
        SDVariable w = param(name + ".weight");
        SDVariable b = param(name + ".bias");
        return sd.mmul(x, w, false, true, false).add(b);
    }

    // ---- embeddings

    /** Conv with kernel = stride = p, done as one matmul over patches flattened in (c, ky, kx) order. */
    protected SDVariable patchEmbed(SDVariable x) {
        int c = cfg.inChannels();
        int p = cfg.patchSize();
        int g = cfg.gridSize();
        int d = cfg.hiddenSize();
        SDVariable patches = x.reshape(-1, c, g, p, g, p)     // b, c, i, ky, j, kx
                .permute(0, 2, 4, 1, 3, 5)                     // b, i, j, c, ky, kx: token m = i*g + j
                .reshape(-1, (long) c * p * p);
        SDVariable w = param(DiTKeys.PATCH_W).reshape(d, (long) c * p * p);
        SDVariable h = sd.mmul(patches, w, false, true, false).add(param(DiTKeys.PATCH_B));
        SDVariable pos = sd.constant(DiTKeys.POS_EMBED, weight(DiTKeys.POS_EMBED).castTo(dtype));
        return toTokens(h).add(pos).reshape(-1, d);
    }

    /** Frequencies [cos, sin] of the original-scale timestep, then Linear -> SiLU -> Linear. */
    protected SDVariable timestepEmbed(SDVariable t) {
        int half = TimestepFrequencies.DIM / 2;
        INDArray freqs = dtype == DataType.DOUBLE
                ? Nd4j.create(TimestepFrequencies.float64(), new long[]{1, half}, DataType.DOUBLE)
                : Nd4j.create(TimestepFrequencies.float32(), new long[]{1, half}, DataType.FLOAT).castTo(dtype);
        SDVariable args = t.reshape(-1, 1).mul(sd.constant("t_freqs", freqs));
        SDVariable emb = sd.concat(1, sd.math().cos(args), sd.math().sin(args));
        SDVariable hidden = silu(linear(emb, DiTKeys.T_MLP0));
        return linear(hidden, DiTKeys.T_MLP2);
    }

    /**
     * Label table lookup as a one-hot matmul (gather's backward is broken in ND4J M2.1, this one trains).
     * With {@code drop} (training), rows where drop = 1 read the null class instead.
     */
    protected SDVariable labelEmbed(SDVariable y, SDVariable drop) {
        int rows = cfg.labelTableRows();
        SDVariable oneHot = sd.oneHot(y, rows, -1, 1.0, 0.0, dtype);
        if (drop != null) {
            INDArray nullRow = Nd4j.zeros(dtype, 1, rows);
            nullRow.putScalar(0, cfg.numClasses(), 1.0);
            SDVariable d = drop.reshape(-1, 1);
            oneHot = oneHot.add(d.mul(sd.constant("null_label", nullRow).sub(oneHot)));
        }
        return sd.mmul(oneHot, param(DiTKeys.LABEL_TABLE));
    }

    // ---- blocks

    /**
     * One adaLN-Zero block: 6 modulation vectors from SiLU(c), then the attention and MLP branches, each
     * {@code x + gate * branch(modulate(LN(x), shift, scale))}.
     */
    protected SDVariable block(int i, SDVariable h, SDVariable cond) {
        SDVariable[] mod = chunks(linear(silu(cond), DiTKeys.adaLN(i)), 6);
        SDVariable a = attention(i, modulate(layerNorm(h), mod[0], mod[1]));
        h = h.add(gate(a, mod[2]));
        SDVariable m = mlpBranch(i, h, modulate(layerNorm(h), mod[3], mod[4]));
        return h.add(gate(m, mod[5]));
    }

    /** Multi-head self-attention over (B*T, D) rows; qkv rows ordered [q heads; k heads; v heads]. */
    protected SDVariable attention(int i, SDVariable h) {
        return linear(attentionHeads(i, h), DiTKeys.proj(i));
    }

    /** Concatenated per-head outputs {@code softmax(q k^T / sqrt(hd)) v}, (B*T, D), before {@code proj}. */
    protected SDVariable attentionHeads(int i, SDVariable h) {
        int tokens = cfg.tokens();
        int heads = cfg.numHeads();
        int hd = cfg.headDim();
        // split, not strided slices: strided_slice_bp fails on these shapes in ND4J M2.1
        SDVariable[] qkv = sd.split(linear(h, DiTKeys.qkv(i)), 3, 1);   // [q heads | k heads | v heads]
        SDVariable q = perHead(qkv[0]);
        SDVariable k = perHead(qkv[1]);
        SDVariable v = perHead(qkv[2]);
        SDVariable scores = sd.mmul(q.mul(Math.pow(hd, -0.5)), k, false, true, false);
        SDVariable probs = sd.nn().softmax(scores, 2);
        return sd.mmul(probs, v)                          // B*H, T, hd
                .reshape(-1, heads, tokens, hd)
                .permute(0, 2, 1, 3)                        // B, T, H, hd
                .reshape(-1, cfg.hiddenSize());
    }

    /** (B*T, D) -> (B*H, T, hd): head h owns channels [h*hd, (h+1)*hd). */
    protected SDVariable perHead(SDVariable rows) {
        return rows.reshape(-1, cfg.tokens(), cfg.numHeads(), cfg.headDim())
                .permute(0, 2, 1, 3)
                .reshape(-1, cfg.tokens(), cfg.headDim());
    }

    /**
     * The MLP branch on the modulated normalised stream {@code z}; {@code h} is the residual stream it will be
     * added to (DyDiT's token router reads it).
     */
    protected SDVariable mlpBranch(int i, SDVariable h, SDVariable z) {
        return linear(geluTanh(linear(z, DiTKeys.fc1(i))), DiTKeys.fc2(i));
    }

    /** Final adaLN (shift, scale), LayerNorm, modulation and the Linear(D, p*p*outChannels). */
    protected SDVariable finalLayer(SDVariable h, SDVariable cond) {
        SDVariable[] mod = chunks(linear(silu(cond), DiTKeys.FINAL_ADALN), 2);
        return linear(modulate(layerNorm(h), mod[0], mod[1]), DiTKeys.FINAL_LINEAR);
    }

    /** (B*T, p*p*C') with per-token layout (py, px, c) -> (B, C', G*p, G*p). */
    protected SDVariable unpatchify(SDVariable h) {
        int g = cfg.gridSize();
        int p = cfg.patchSize();
        int co = cfg.outChannels();
        return h.reshape(-1, g, g, p, p, co)                // b, i, j, py, px, c
                .permute(0, 5, 1, 3, 2, 4)                   // b, c, i, py, j, px
                .reshape(-1, co, (long) g * p, (long) g * p);
    }

    // ---- small ops

    protected SDVariable toTokens(SDVariable rows) {
        return rows.reshape(-1, cfg.tokens(), cfg.hiddenSize());
    }

    /** LayerNorm over the last axis, no affine, biased variance, eps 1e-6 (written out so it differentiates). */
    protected SDVariable layerNorm(SDVariable h) {
        SDVariable mu = sd.mean(h, true, 1);
        SDVariable centred = h.sub(mu);
        SDVariable var = sd.mean(centred.mul(centred), true, 1);
        return centred.div(sd.math().sqrt(var.add(LN_EPS)));
    }

    /** {@code z * (1 + scale) + shift} with per-sample (B, D) vectors broadcast over the tokens. */
    protected SDVariable modulate(SDVariable z, SDVariable shift, SDVariable scale) {
        SDVariable z3 = toTokens(z);
        SDVariable s = scale.add(1.0).reshape(-1, 1, cfg.hiddenSize());
        SDVariable b = shift.reshape(-1, 1, cfg.hiddenSize());
        return z3.mul(s).add(b).reshape(-1, cfg.hiddenSize());
    }

    /** {@code gate * branch} with a per-sample (B, D) gate. */
    protected SDVariable gate(SDVariable branch, SDVariable g) {
        return toTokens(branch).mul(g.reshape(-1, 1, cfg.hiddenSize())).reshape(-1, cfg.hiddenSize());
    }

    /** Splits (B, n*D) into n (B, D) pieces in order (torch's chunk along the last axis). */
    protected SDVariable[] chunks(SDVariable v, int n) {
        return sd.split(v, n, 1);
    }

    protected SDVariable silu(SDVariable v) {
        return v.mul(sd.nn().sigmoid(v));
    }

    /** GELU with the tanh approximation, as DiT's MLP uses: {@code 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))}. */
    protected SDVariable geluTanh(SDVariable v) {
        SDVariable inner = v.add(v.mul(v).mul(v).mul(0.044715)).mul(Math.sqrt(2.0 / Math.PI));
        return v.mul(0.5).mul(sd.math().tanh(inner).add(1.0));
    }
}
