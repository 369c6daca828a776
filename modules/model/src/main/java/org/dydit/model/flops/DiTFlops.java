package org.dydit.model.flops;

import org.dydit.model.DiTConfig;

/**
 * Multiply-accumulates (MACs) of one DiT forward pass for one sample, counted as the DiT and DyDiT
 * papers count "FLOPs" (one multiply-add = 1; the DiT authors confirmed their GFLOPs are MACs).
 *
 * <p>Counted: every matrix product, i.e. the patch-embedding convolution (a linear map on each
 * p×p×C patch), the two linears of the timestep MLP, each block's adaLN linear (6D outputs from c),
 * the attention's qkv projection, QKᵀ, attention·V and output projection, the MLP's fc1 and fc2, and
 * the final layer's adaLN (2D outputs) and linear. Not counted: the label embedding (a table lookup),
 * bias adds, residual adds, position-embedding add, LayerNorm, modulation, softmax, activations, the
 * sinusoidal frequency features and unpatchify; these are O(T·D) and together well under 0.1% at the
 * paper's sizes.
 *
 * <p>Attention and MLP terms take the token count and the number of active heads or MLP channels as
 * arguments so that DyDiT's dynamic width (heads, channel groups) and token skipping can be costed
 * with the same formulas.
 */
public final class DiTFlops {

    /** Width of the sinusoidal timestep features fed to the timestep MLP (fixed in DiT). */
    public static final int TIMESTEP_FREQUENCY_DIM = 256;

    private final DiTConfig config;

    private DiTFlops(DiTConfig config) {
        this.config = config;
    }

    public static DiTFlops of(DiTConfig config) {
        return new DiTFlops(config);
    }

    public DiTConfig config() {
        return config;
    }

    private long d() {
        return config.hiddenSize();
    }

    /** Tokens of one sample: (input/patch)², in long arithmetic. */
    public long tokens() {
        long g = config.gridSize();
        return g * g;
    }

    // ---- embeddings -------------------------------------------------------------------------

    /** The patch convolution: each of the T patches is a (C·p·p) → D linear map. */
    public long patchEmbedMacs() {
        long patchValues = (long) config.inChannels() * config.patchSize() * config.patchSize();
        return mul(tokens(), patchValues, d());
    }

    /** Timestep MLP: Linear(256 → D), SiLU, Linear(D → D). */
    public long timestepEmbedMacs() {
        return add(mul(TIMESTEP_FREQUENCY_DIM, d()), mul(d(), d()));
    }

    /** The label embedder is a table lookup: no multiply-adds. */
    public long labelEmbedMacs() {
        return 0L;
    }

    // ---- one block --------------------------------------------------------------------------

    /** adaLN-Zero modulation of one block: Linear(D → 6D) on the conditioning vector, once per sample. */
    public long adaLNMacs() {
        return mul(6, d(), d());
    }

    /** qkv projection for {@code tokens} tokens and {@code heads} active heads: 3 · T · D · (heads·hd). */
    public long attentionQkvMacs(long tokens, int heads) {
        return mul(3, tokens, d(), activeAttentionWidth(heads));
    }

    /** Scores QKᵀ: per head a T×hd by hd×T product, T² · hd per head. */
    public long attentionScoresMacs(long tokens, int heads) {
        return mul(tokens, tokens, activeAttentionWidth(heads));
    }

    /** Attention-weighted values softmax(QKᵀ)·V: per head T×T by T×hd, T² · hd per head. */
    public long attentionValuesMacs(long tokens, int heads) {
        return mul(tokens, tokens, activeAttentionWidth(heads));
    }

    /** Output projection from the concatenated active heads back to D: T · (heads·hd) · D. */
    public long attentionProjMacs(long tokens, int heads) {
        return mul(tokens, activeAttentionWidth(heads), d());
    }

    /** Multi-head self-attention with {@code heads} active heads; all heads give 4·T·D² + 2·T²·D. */
    public long attentionMacs(long tokens, int heads) {
        return add(attentionQkvMacs(tokens, heads), attentionScoresMacs(tokens, heads),
                attentionValuesMacs(tokens, heads), attentionProjMacs(tokens, heads));
    }

    /** Multi-head self-attention with all heads. */
    public long attentionMacs(long tokens) {
        return attentionMacs(tokens, config.numHeads());
    }

    /** fc1: T · D · hidden, for {@code hidden} active MLP channels. */
    public long mlpFc1Macs(long tokens, long hidden) {
        return mul(tokens, d(), checkHidden(hidden));
    }

    /** fc2: T · hidden · D. */
    public long mlpFc2Macs(long tokens, long hidden) {
        return mul(tokens, checkHidden(hidden), d());
    }

    /** The MLP with {@code hidden} active channels; the full MLP (ratio 4) gives 8·T·D². */
    public long mlpMacs(long tokens, long hidden) {
        return add(mlpFc1Macs(tokens, hidden), mlpFc2Macs(tokens, hidden));
    }

    /** The full MLP. */
    public long mlpMacs(long tokens) {
        return mlpMacs(tokens, config.mlpHidden());
    }

    /** One full block: adaLN + attention + MLP over all tokens. */
    public long blockMacs() {
        return add(adaLNMacs(), attentionMacs(tokens()), mlpMacs(tokens()));
    }

    // ---- final layer ------------------------------------------------------------------------

    /** Final adaLN: Linear(D → 2D) on the conditioning vector. */
    public long finalAdaLNMacs() {
        return mul(2, d(), d());
    }

    /** Final linear: T · D · (p·p·outChannels). */
    public long finalLinearMacs() {
        return mul(tokens(), d(), config.patchOut());
    }

    public long finalLayerMacs() {
        return add(finalAdaLNMacs(), finalLinearMacs());
    }

    // ---- totals -----------------------------------------------------------------------------

    public long embeddingMacs() {
        return add(patchEmbedMacs(), timestepEmbedMacs(), labelEmbedMacs());
    }

    /** The whole forward pass of one sample. */
    public long totalMacs() {
        return add(embeddingMacs(), blocksMacs(), finalLayerMacs());
    }

    /** All blocks at full width: depth x {@link #blockMacs()}. */
    public long blocksMacs() {
        return mul(config.depth(), blockMacs());
    }

    /** {@link #totalMacs()} in units of 10⁹, the papers' "GFLOPs" column. */
    public double totalGMacs() {
        return totalMacs() / 1e9;
    }

    /**
     * Counts are exact longs: a product or sum beyond {@link Long#MAX_VALUE} (a config far beyond any model that can
     * run, such as a 50000-pixel side in patches of 1) is an error naming the sizes, never a wrapped negative count.
     */
    private long mul(long... factors) {
        long p = 1;
        try {
            for (long f : factors) p = Math.multiplyExact(p, f);
        } catch (ArithmeticException e) {
            throw tooLarge();
        }
        return p;
    }

    private long add(long... terms) {
        long s = 0;
        try {
            for (long t : terms) s = Math.addExact(s, t);
        } catch (ArithmeticException e) {
            throw tooLarge();
        }
        return s;
    }

    private IllegalArgumentException tooLarge() {
        return new IllegalArgumentException("the MAC count of one forward pass exceeds " + Long.MAX_VALUE + " (2^63 - 1) for "
                + tokens() + " tokens ((input_size " + config.inputSize() + " / patch_size " + config.patchSize()
                + ")^2), hidden_size " + config.hiddenSize() + ", depth " + config.depth());
    }

    private long activeAttentionWidth(int heads) {
        if (heads < 0 || heads > config.numHeads()) {
            throw new IllegalArgumentException("active heads " + heads + " outside 0.." + config.numHeads());
        }
        return (long) heads * config.headDim();
    }

    private long checkHidden(long hidden) {
        if (hidden < 0 || hidden > config.mlpHidden()) {
            throw new IllegalArgumentException("active MLP channels " + hidden + " outside 0.." + config.mlpHidden());
        }
        return hidden;
    }
}
