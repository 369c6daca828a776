package org.dydit.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state-dict keys of the reference PyTorch DiT/DyDiT and their shapes for a given config, in the order
 * {@code model.state_dict()} lists them (direct parameters first, then sub-modules in registration order).
 * These names are kept verbatim so that checkpoints move both ways between this project and PyTorch.
 */
public final class DiTKeys {
    private DiTKeys() {}

    public static final String POS_EMBED = "pos_embed";
    public static final String PATCH_W = "x_embedder.proj.weight";
    public static final String PATCH_B = "x_embedder.proj.bias";
    public static final String T_MLP0 = "t_embedder.mlp.0";
    public static final String T_MLP2 = "t_embedder.mlp.2";
    public static final String LABEL_TABLE = "y_embedder.embedding_table.weight";
    public static final String FINAL_LINEAR = "final_layer.linear";
    public static final String FINAL_ADALN = "final_layer.adaLN_modulation.1";

    /** Prefix of block {@code i}'s keys, such as {@code blocks.3.}. */
    public static String block(int i) {
        return "blocks." + i + ".";
    }

    public static String qkv(int i) { return block(i) + "attn.qkv"; }
    public static String proj(int i) { return block(i) + "attn.proj"; }
    public static String fc1(int i) { return block(i) + "mlp.fc1"; }
    public static String fc2(int i) { return block(i) + "mlp.fc2"; }
    public static String adaLN(int i) { return block(i) + "adaLN_modulation.1"; }

    /** DyDiT timestep routers: H-1 logits each (head / channel-group 0 is always on). */
    public static String attnRouter(int i) { return block(i) + "attn_rate.router"; }
    public static String mlpRouter(int i) { return block(i) + "mlp_rate.router"; }
    /** DyDiT token router: Linear(D, D/16) -> ReLU -> Linear(D/16, 1). */
    public static String tokenRouter0(int i) { return block(i) + "token_selection.mlp_head.0"; }
    public static String tokenRouter2(int i) { return block(i) + "token_selection.mlp_head.2"; }

    /** Hidden width of the DyDiT token router, {@code D/16} as the reference sizes it. */
    public static int tokenRouterHidden(DiTConfig c) {
        return c.hiddenSize() / 16;
    }

    /** Every key of the model described by {@code c} with its shape; router keys only when {@code c.dynamic()}. */
    public static Map<String, long[]> expected(DiTConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.hiddenSize();
        long p = c.patchSize();
        m.put(POS_EMBED, new long[]{1, c.tokens(), d});
        m.put(PATCH_W, new long[]{d, c.inChannels(), p, p});
        m.put(PATCH_B, new long[]{d});
        linear(m, T_MLP0, d, TimestepFrequencies.DIM);
        linear(m, T_MLP2, d, d);
        m.put(LABEL_TABLE, new long[]{c.labelTableRows(), d});
        for (int i = 0; i < c.depth(); i++) {
            linear(m, qkv(i), 3 * d, d);
            linear(m, proj(i), d, d);
            linear(m, fc1(i), c.mlpHidden(), d);
            linear(m, fc2(i), d, c.mlpHidden());
            linear(m, adaLN(i), 6 * d, d);
            if (c.dynamic()) {
                linear(m, attnRouter(i), c.numHeads() - 1, d);
                linear(m, mlpRouter(i), c.numHeads() - 1, d);
                linear(m, tokenRouter0(i), tokenRouterHidden(c), d);
                linear(m, tokenRouter2(i), 1, tokenRouterHidden(c));
            }
        }
        linear(m, FINAL_LINEAR, c.patchOut(), d);
        linear(m, FINAL_ADALN, 2 * d, d);
        return m;
    }

    /** True for the keys a DyDiT adds to a DiT (routers); a DiT checkpoint lacks them when fine-tuning starts. */
    public static boolean isRouterKey(String key) {
        return key.startsWith("blocks.") && (key.contains(".attn_rate.") || key.contains(".mlp_rate.")
                || key.contains(".token_selection."));
    }

    private static void linear(Map<String, long[]> m, String name, long out, long in) {
        m.put(name + ".weight", new long[]{out, in});
        m.put(name + ".bias", new long[]{out});
    }
}
