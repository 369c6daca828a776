package org.dydit.model.flops;

import org.dydit.model.DiTConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The itemised MAC count of one forward pass as a JSON-ready tree. Items are integer MACs per sample;
 * {@code gmacs} is the total in 10⁹ MACs (the papers' "GFLOPs"), {@code gflops} counts 1 MAC = 2 FLOPs.
 */
public final class FlopsReport {

    private FlopsReport() {
    }

    public static Map<String, Object> of(String model, DiTConfig config) {
        DiTFlops f = DiTFlops.of(config);
        long t = f.tokens();
        int h = config.numHeads();
        long hidden = config.mlpHidden();

        Map<String, Object> root = new LinkedHashMap<>();
        if (model != null) root.put("model", model);
        root.put("unit", "MACs per forward pass of one sample (1 MAC = 2 FLOPs)");
        root.put("config", config.toMap());
        root.put("tokens", t);
        root.put("gmacs", f.totalGMacs());
        root.put("macs", f.totalMacs());
        root.put("gflops", 2 * f.totalGMacs());

        Map<String, Object> emb = new LinkedHashMap<>();
        emb.put("patch_embed", f.patchEmbedMacs());
        emb.put("timestep_embedder", f.timestepEmbedMacs());
        emb.put("label_embedder", f.labelEmbedMacs());
        emb.put("total", f.embeddingMacs());
        root.put("embeddings", emb);

        Map<String, Object> attn = new LinkedHashMap<>();
        attn.put("qkv", f.attentionQkvMacs(t, h));
        attn.put("qk", f.attentionScoresMacs(t, h));
        attn.put("av", f.attentionValuesMacs(t, h));
        attn.put("proj", f.attentionProjMacs(t, h));
        attn.put("total", f.attentionMacs(t));

        Map<String, Object> mlp = new LinkedHashMap<>();
        mlp.put("fc1", f.mlpFc1Macs(t, hidden));
        mlp.put("fc2", f.mlpFc2Macs(t, hidden));
        mlp.put("total", f.mlpMacs(t));

        Map<String, Object> block = new LinkedHashMap<>();
        block.put("adaln", f.adaLNMacs());
        block.put("attention", attn);
        block.put("mlp", mlp);
        block.put("total", f.blockMacs());

        Map<String, Object> blocks = new LinkedHashMap<>();
        blocks.put("count", config.depth());
        blocks.put("per_block", block);
        blocks.put("total", f.blocksMacs());
        root.put("blocks", blocks);

        Map<String, Object> fin = new LinkedHashMap<>();
        fin.put("adaln", f.finalAdaLNMacs());
        fin.put("linear", f.finalLinearMacs());
        fin.put("total", f.finalLayerMacs());
        root.put("final_layer", fin);

        root.put("not_counted", "label lookup, bias/residual/position adds, LayerNorm, modulation, softmax, "
                + "activations, sinusoidal features, unpatchify");
        return root;
    }
}
