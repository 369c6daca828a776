package org.dydit.model;

import org.dydit.routing.GumbelNoise;
import org.dydit.routing.GumbelSigmoid;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.controlflow.compat.StopGradient;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * DyDiT as a SameDiff graph: the DiT reference graph with each block's routers (the reference for golden parity
 * and for the engine's gradients).
 *
 * <ul>
 *   <li>{@link TimestepRouter}s {@code attn_rate}, {@code mlp_rate}: Linear(D → H−1) on the timestep embedding E_t,
 *   a constant 1 prepended (head / channel group 0 always on). The head mask multiplies {@code attn@v} per head
 *   before {@code proj}; the channel mask multiplies fc1's output (bias included) in H contiguous groups before
 *   the GELU.</li>
 *   <li>{@link TokenRouter}: Linear(D → D/16) → ReLU → Linear(D/16 → 1) on the residual stream after the attention
 *   update; a token's whole MLP update (fc2 bias included) is multiplied by its 0/1 decision.</li>
 * </ul>
 * Masks multiply dense tensors (token selection by gather would not train: ND4J's gather backward is broken).
 *
 * <p>{@link Mode#EVAL} decides {@code logit > 0}. {@link Mode#TRAIN} adds per-block placeholders holding the
 * Gumbel differences ({@link GumbelNoise}) and decides {@code logit + g > 0} with the straight-through estimator
 * {@code hard + (s − stop(s))}, s = σ((logit + g)/τ): exactly 0/1 forward, {@code ds} backward.
 * {@link Mode#COMPLETE} bypasses every router (the plain DiT on the same weights). EVAL and TRAIN also output the
 * masks as the reference returns them: {@link #ATTN_MASK} (B,L,H), {@link #MLP_MASK} (B,L,H),
 * {@link #TOKEN_MASK} (B,L,T,1).
 */
public final class DyDiTGraph extends DiTGraph {
    public enum Mode { COMPLETE, EVAL, TRAIN }

    public static final String ATTN_MASK = "attn_mask";
    public static final String MLP_MASK = "mlp_mask";
    public static final String TOKEN_MASK = "token_mask";

    /** Placeholder names of block {@code l}'s Gumbel differences in TRAIN mode: (B,H−1), (B,H−1), (B·T,1). */
    public static String attnNoise(int l) { return "gumbel_attn_" + l; }
    public static String mlpNoise(int l) { return "gumbel_mlp_" + l; }
    public static String tokenNoise(int l) { return "gumbel_token_" + l; }

    private final Mode mode;
    private final double tau;
    private final List<SDVariable> attnMasks = new ArrayList<>();
    private final List<SDVariable> mlpMasks = new ArrayList<>();
    private final List<SDVariable> tokenMasks = new ArrayList<>();

    private DyDiTGraph(DiTConfig cfg, Map<String, INDArray> weights, DataType dtype, boolean labelDropout, Mode mode,
                       double tau) {
        super(cfg, weights, dtype, labelDropout);
        this.mode = mode;
        this.tau = tau;
    }

    /**
     * The graph of a DyDiT config ({@code dynamic} set, at least 2 heads) holding {@code weights} in {@code dtype}.
     * {@code labelDropout} adds DiT's class-dropout placeholder.
     */
    public static SameDiff build(DiTConfig cfg, Map<String, INDArray> weights, DataType dtype, boolean labelDropout,
                                 Mode mode) {
        return build(cfg, weights, dtype, labelDropout, mode, GumbelSigmoid.TAU);
    }

    public static SameDiff build(DiTConfig cfg, Map<String, INDArray> weights, DataType dtype, boolean labelDropout,
                                 Mode mode, double tau) {
        if (mode != Mode.COMPLETE) requireDynamic(cfg);
        DyDiTGraph g = new DyDiTGraph(cfg, weights, dtype, labelDropout, mode, tau);
        g.define();
        return g.sd;
    }

    public static void requireDynamic(DiTConfig cfg) {
        if (!cfg.dynamic()) throw new IllegalArgumentException("not a DyDiT config (\"dynamic\": false): convert the DiT first");
        if (cfg.numHeads() < 2) {
            throw new IllegalArgumentException("DyDiT needs at least 2 heads (head 0 is always on), got " + cfg.numHeads());
        }
    }

    /** The Gumbel placeholders of {@code noise} for a TRAIN graph, in {@code dtype}. */
    public static Map<String, INDArray> noisePlaceholders(DiTConfig cfg, GumbelNoise noise, DataType dtype) {
        Map<String, INDArray> m = new HashMap<>();
        int w = cfg.numHeads() - 1;
        for (int l = 0; l < cfg.depth(); l++) {
            int b = noise.attn[l].length / w;
            m.put(attnNoise(l), Nd4j.create(noise.attn[l], new long[]{b, w}, 'c').castTo(dtype));
            m.put(mlpNoise(l), Nd4j.create(noise.mlp[l], new long[]{b, w}, 'c').castTo(dtype));
            m.put(tokenNoise(l), Nd4j.create(noise.token[l], new long[]{noise.token[l].length, 1}, 'c').castTo(dtype));
        }
        return m;
    }

    @Override
    protected void define() {
        super.define();
        if (mode == Mode.COMPLETE) return;
        int l = cfg.depth();
        sd.updateVariableNameAndReference(sd.stack(1, attnMasks.toArray(new SDVariable[0])), ATTN_MASK);
        sd.updateVariableNameAndReference(sd.stack(1, mlpMasks.toArray(new SDVariable[0])), MLP_MASK);
        SDVariable[] tok = new SDVariable[l];
        for (int i = 0; i < l; i++) tok[i] = tokenMasks.get(i).reshape(-1, cfg.tokens(), 1);
        sd.updateVariableNameAndReference(sd.stack(1, tok), TOKEN_MASK);
    }

    @Override
    protected SDVariable block(int i, SDVariable h, SDVariable cond) {
        if (mode == Mode.COMPLETE) return super.block(i, h, cond);
        int heads = cfg.numHeads();
        SDVariable[] mod = chunks(linear(silu(cond), DiTKeys.adaLN(i)), 6);
        SDVariable headMask = widthMask(i, DiTKeys.attnRouter(i), attnNoise(i));       // (B, H)
        SDVariable chanMask = widthMask(i, DiTKeys.mlpRouter(i), mlpNoise(i));         // (B, H)
        attnMasks.add(headMask);
        mlpMasks.add(chanMask);

        SDVariable o = attentionHeads(i, modulate(layerNorm(h), mod[0], mod[1]));      // (B*T, D)
        o = groupMask(o, headMask, cfg.headDim());
        h = h.add(gate(linear(o, DiTKeys.proj(i)), mod[2]));

        SDVariable tokMask = tokenMask(i, h);                                         // (B*T, 1)
        tokenMasks.add(tokMask);
        SDVariable f = linear(modulate(layerNorm(h), mod[3], mod[4]), DiTKeys.fc1(i));
        f = groupMask(f, chanMask, cfg.mlpHidden() / heads);
        SDVariable m = linear(geluTanh(f), DiTKeys.fc2(i));
        return h.add(gate(m, mod[5]).mul(tokMask));
    }

    /** (B*T, H*width) rows times a per-sample (B, H) mask, group g owning columns [g*width, (g+1)*width). */
    private SDVariable groupMask(SDVariable rows, SDVariable mask, int width) {
        int heads = cfg.numHeads();
        return rows.reshape(-1, cfg.tokens(), heads, width)
                .mul(mask.reshape(-1, 1, heads, 1))
                .reshape(-1, (long) heads * width);
    }

    /** {@link TimestepRouter}: decisions of Linear(D → H−1)(E_t), shifted right with a constant 1 at position 0. */
    private SDVariable widthMask(int i, String router, String noiseName) {
        int heads = cfg.numHeads();
        SDVariable logits = linear(timestepEmbedding(), router);                       // (B, H-1)
        SDVariable decided = decide(logits, noiseName, heads - 1);
        // [1, m_1..m_{H-1}] as m·P + e0 (exact with 0/1 entries; slicing ops have broken backward passes here)
        INDArray shift = Nd4j.zeros(dtype, heads - 1, heads);
        for (int k = 0; k < heads - 1; k++) shift.putScalar(k, k + 1, 1.0);
        INDArray first = Nd4j.zeros(dtype, 1, heads);
        first.putScalar(0, 0, 1.0);
        return sd.mmul(decided, sd.constant(router + ".shift", shift)).add(sd.constant(router + ".first", first));
    }

    /** {@link TokenRouter}: Linear(D → D/16) → ReLU → Linear(D/16 → 1) per token of the residual stream. */
    private SDVariable tokenMask(int i, SDVariable h) {
        SDVariable hidden = sd.nn().relu(linear(h, DiTKeys.tokenRouter0(i)), 0.0);
        SDVariable logits = linear(hidden, DiTKeys.tokenRouter2(i));                  // (B*T, 1)
        return decide(logits, tokenNoise(i), 1);
    }

    /** EVAL: {@code logit > 0}; TRAIN: {@code hard + (s − stop(s))} with the Gumbel difference from a placeholder. */
    private SDVariable decide(SDVariable logits, String noiseName, int width) {
        if (mode == Mode.EVAL) return sd.math().step(logits, 0.0);
        SDVariable z = logits.add(sd.placeHolder(noiseName, dtype, -1, width));
        SDVariable s = sd.nn().sigmoid(z.div(tau));
        SDVariable hard = stop(sd.math().step(z, 0.0));
        return hard.add(s.sub(stop(s)));
    }

    private SDVariable stop(SDVariable v) {
        return new StopGradient(sd, v).outputVariable();
    }
}
