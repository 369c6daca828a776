package org.dydit.model;

import org.dydit.formats.FormatException;
import org.dydit.formats.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Renames a DiT state dict from the names diffusers uses ({@code DiTTransformer2DModel}, as on the Hub's
 * {@code facebook/DiT-XL-2-256}) to the reference names. diffusers splits {@code qkv} into {@code to_q/to_k/to_v},
 * keeps a copy of the shared timestep and class embedders in every block, and stores no {@code pos_embed}
 * (it recomputes the same sin-cos table, which we do too).
 */
public final class DiffusersDiT {
    private DiffusersDiT() {}

    /** True when the keys look like a diffusers DiT transformer. */
    public static boolean looksLikeDiffusers(Map<String, Tensor> w) {
        return w.containsKey("proj_out_2.weight") || w.keySet().stream().anyMatch(k -> k.startsWith("transformer_blocks."));
    }

    /**
     * The reference-named state dict of {@code w} for {@code cfg}. A missing tensor, or block copies of the shared
     * embedders that differ, is an error naming {@code source} and the key; unknown keys are carried over unchanged
     * so that validation reports them.
     */
    public static LinkedHashMap<String, Tensor> toReference(DiTConfig cfg, Map<String, Tensor> w, Object source)
            throws FormatException {
        Map<String, Tensor> left = new LinkedHashMap<>(w);
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        double[] pe = PositionEmbedding.sinCos2d(cfg.hiddenSize(), cfg.gridSize());
        float[] pef = new float[pe.length];
        for (int i = 0; i < pe.length; i++) pef[i] = (float) pe[i];
        out.put(DiTKeys.POS_EMBED, Tensor.ofFloats(new long[]{1, cfg.tokens(), cfg.hiddenSize()}, pef));
        move(left, out, "pos_embed.proj.weight", DiTKeys.PATCH_W, source);
        move(left, out, "pos_embed.proj.bias", DiTKeys.PATCH_B, source);
        String emb = "transformer_blocks.0.norm1.emb.";
        for (String wb : new String[]{"weight", "bias"}) {
            move(left, out, emb + "timestep_embedder.linear_1." + wb, DiTKeys.T_MLP0 + "." + wb, source);
            move(left, out, emb + "timestep_embedder.linear_2." + wb, DiTKeys.T_MLP2 + "." + wb, source);
        }
        move(left, out, emb + "class_embedder.embedding_table.weight", DiTKeys.LABEL_TABLE, source);
        for (int i = 0; i < cfg.depth(); i++) {
            String b = "transformer_blocks." + i + ".";
            for (String wb : new String[]{"weight", "bias"}) {
                Tensor q = take(left, b + "attn1.to_q." + wb, source);
                Tensor k = take(left, b + "attn1.to_k." + wb, source);
                Tensor v = take(left, b + "attn1.to_v." + wb, source);
                out.put(DiTKeys.qkv(i) + "." + wb, concatRows(q, k, v, b + "attn1.to_q." + wb, source));
                move(left, out, b + "attn1.to_out.0." + wb, DiTKeys.proj(i) + "." + wb, source);
                move(left, out, b + "ff.net.0.proj." + wb, DiTKeys.fc1(i) + "." + wb, source);
                move(left, out, b + "ff.net.2." + wb, DiTKeys.fc2(i) + "." + wb, source);
                move(left, out, b + "norm1.linear." + wb, DiTKeys.adaLN(i) + "." + wb, source);
            }
            if (i > 0) dropCopies(left, out, b + "norm1.emb.", emb, source);
        }
        for (String wb : new String[]{"weight", "bias"}) {
            move(left, out, "proj_out_1." + wb, DiTKeys.FINAL_ADALN + "." + wb, source);
            move(left, out, "proj_out_2." + wb, DiTKeys.FINAL_LINEAR + "." + wb, source);
        }
        out.putAll(left);
        return out;
    }

    /** Each block's embedder copy must equal block 0's (we keep one); a differing copy is refused. */
    private static void dropCopies(Map<String, Tensor> left, Map<String, Tensor> out, String prefix, String first,
                                   Object source) throws FormatException {
        Map<String, String> ref = Map.of(
                "timestep_embedder.linear_1.weight", DiTKeys.T_MLP0 + ".weight",
                "timestep_embedder.linear_1.bias", DiTKeys.T_MLP0 + ".bias",
                "timestep_embedder.linear_2.weight", DiTKeys.T_MLP2 + ".weight",
                "timestep_embedder.linear_2.bias", DiTKeys.T_MLP2 + ".bias",
                "class_embedder.embedding_table.weight", DiTKeys.LABEL_TABLE);
        for (Map.Entry<String, String> e : ref.entrySet()) {
            Tensor copy = left.remove(prefix + e.getKey());
            if (copy == null) continue;
            Tensor kept = out.get(e.getValue());
            if (kept != null && !Arrays.equals(copy.toFloats(), kept.toFloats())) {
                throw FormatException.of(source, prefix + e.getKey(),
                        "differs from " + first + e.getKey() + "; DiT shares one embedder across blocks");
            }
        }
    }

    private static Tensor take(Map<String, Tensor> left, String key, Object source) throws FormatException {
        Tensor t = left.remove(key);
        if (t == null) throw FormatException.of(source, key, "missing (diffusers DiT names)");
        return t;
    }

    private static void move(Map<String, Tensor> left, Map<String, Tensor> out, String from, String to, Object source)
            throws FormatException {
        out.put(to, take(left, from, source));
    }

    /** [q; k; v] along the first axis, as the reference's fused qkv Linear holds them. */
    private static Tensor concatRows(Tensor q, Tensor k, Tensor v, String key, Object source) throws FormatException {
        long[] s = q.shape();
        if (!Arrays.equals(s, k.shape()) || !Arrays.equals(s, v.shape())) {
            throw FormatException.of(source, key, "to_q/to_k/to_v shapes differ: " + Arrays.toString(s) + ", "
                    + Arrays.toString(k.shape()) + ", " + Arrays.toString(v.shape()));
        }
        float[] a = q.toFloats(), b = k.toFloats(), c = v.toFloats();
        float[] all = new float[a.length * 3];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        System.arraycopy(c, 0, all, 2 * a.length, c.length);
        long[] shape = s.clone();
        shape[0] *= 3;
        return Tensor.ofFloats(shape, all);
    }
}
