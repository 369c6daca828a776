package org.dydit.model;

import org.dydit.formats.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.SplittableRandom;

/**
 * The paper's initialisation of a DiT (and of DyDiT's routers), from a seed.
 *
 * <p>Linears: xavier-uniform weight, zero bias; patch conv: xavier on the weight viewed as (D, C*p*p), zero bias;
 * label table and timestep-MLP weights N(0, 0.02); every adaLN linear and the final linear zero, so each block
 * starts as the identity and the model output is zero; {@code pos_embed} the fixed 2-D sin-cos table.
 * DyDiT routers: xavier weights, width-router biases 15 and token-router output bias 35, so that at the start of
 * fine-tuning every head, channel group and token is active and the model equals the pretrained DiT.
 *
 * <p>Each tensor draws from its own generator seeded by (seed, key), so adding keys (routers, blocks) never changes
 * the values of the others.
 */
public final class DiTInit {
    private DiTInit() {}

    public static final double EMBED_STD = 0.02;
    public static final float WIDTH_ROUTER_BIAS = 15f;
    public static final float TOKEN_ROUTER_BIAS = 35f;

    /** A complete, freshly initialised state dict for {@code cfg} (F32, reference key order). */
    public static LinkedHashMap<String, Tensor> init(DiTConfig cfg, long seed) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        forEach(cfg, seed, m::put);
        return m;
    }

    /** The tensors of {@link #init}, handed over one at a time (a large model's state dict is never whole on the heap). */
    public static void forEach(DiTConfig cfg, long seed, BiConsumer<String, Tensor> sink) {
        for (Map.Entry<String, long[]> e : DiTKeys.expected(cfg).entrySet()) {
            sink.accept(e.getKey(), initTensor(cfg, e.getKey(), e.getValue(), seed));
        }
    }

    /**
     * {@code weights} completed with freshly initialised DyDiT router keys where they are missing (fine-tuning starts
     * from a DiT checkpoint, which has none); present keys are kept as they are.
     */
    public static LinkedHashMap<String, Tensor> withRouters(DiTConfig cfg, Map<String, Tensor> weights, long seed) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : DiTKeys.expected(cfg).entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null && DiTKeys.isRouterKey(e.getKey())) t = initTensor(cfg, e.getKey(), e.getValue(), seed);
            if (t != null) m.put(e.getKey(), t);
        }
        weights.forEach(m::putIfAbsent);   // unexpected keys stay, so validation still reports them
        return m;
    }

    static Tensor initTensor(DiTConfig cfg, String key, long[] shape, long seed) {
        int n = Math.toIntExact(Tensor.numel(shape));
        float[] v = new float[n];
        SplittableRandom rng = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (key.hashCode() + 0x632BE59BD9B4E019L)));
        if (key.equals(DiTKeys.POS_EMBED)) {
            double[] pe = PositionEmbedding.sinCos2d(cfg.hiddenSize(), cfg.gridSize());
            for (int i = 0; i < n; i++) v[i] = (float) pe[i];
        } else if (key.equals(DiTKeys.PATCH_W)) {
            xavier(v, shape[0], n / shape[0], rng);
        } else if (key.equals(DiTKeys.LABEL_TABLE) || key.equals(DiTKeys.T_MLP0 + ".weight")
                || key.equals(DiTKeys.T_MLP2 + ".weight")) {
            for (int i = 0; i < n; i++) v[i] = (float) (EMBED_STD * rng.nextGaussian());
        } else if (key.contains("adaLN_modulation") || key.startsWith(DiTKeys.FINAL_LINEAR + ".")) {
            // zero: adaLN-Zero gates and the final layer make the untrained model an identity with zero output
        } else if (key.endsWith(".weight")) {
            xavier(v, shape[0], shape[1], rng);
        } else if (key.endsWith(".bias")) {
            float b = 0f;
            if (key.contains(".attn_rate.") || key.contains(".mlp_rate.")) b = WIDTH_ROUTER_BIAS;
            else if (key.contains(".token_selection.mlp_head.2.")) b = TOKEN_ROUTER_BIAS;
            java.util.Arrays.fill(v, b);
        } else {
            throw new IllegalStateException("no initialisation rule for key '" + key + "'");
        }
        return Tensor.ofFloats(shape, v);
    }

    /** Glorot/Xavier uniform for an (out, in) weight: U(-a, a), a = sqrt(6 / (in + out)). */
    private static void xavier(float[] v, long fanOut, long fanIn, SplittableRandom rng) {
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < v.length; i++) v[i] = (float) (a * (2 * rng.nextDouble() - 1));
    }
}
