package org.dydit.conversion;

import org.dydit.model.DyDiTGraph;
import org.dydit.formats.FormatException;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A pretrained DiT as the starting point of DyDiT fine-tuning: the same weights, optionally in importance order
 * ({@link ImportanceOrdering}), plus routers with the paper's initialisation (xavier weights, width-router biases
 * 15, token-router output bias 35), so every head, group and token starts active and the DyDiT computes the DiT's
 * function.
 */
public final class DyDiTConversion {
    private DyDiTConversion() {}

    /** The DyDiT of {@code dit} (a plain DiT); routers drawn from {@code seed}. */
    public static DiTModel toDyDiT(DiTModel dit, long seed, boolean importanceOrder) throws FormatException {
        return toDyDiT(dit, seed, importanceOrder, DiTInit.WIDTH_ROUTER_BIAS, DiTInit.TOKEN_ROUTER_BIAS);
    }

    /**
     * {@link #toDyDiT(DiTModel, long, boolean)} with other router biases: {@code widthBias} for the timestep routers
     * (attention heads and MLP groups, paper 15) and {@code tokenBias} for the token routers' output (paper 35).
     * Smaller biases keep every head, group and token on at the start but leave the sigmoid a usable slope, so a
     * short fine-tuning can move the decisions (at 15 the slope is about 3e-7).
     */
    public static DiTModel toDyDiT(DiTModel dit, long seed, boolean importanceOrder, double widthBias, double tokenBias)
            throws FormatException {
        if (!Double.isFinite(widthBias) || !Double.isFinite(tokenBias)) {
            throw new IllegalArgumentException("router biases must be finite, got " + widthBias + " and " + tokenBias);
        }
        DiTConfig cfg = dit.config();
        if (cfg.dynamic()) throw new IllegalArgumentException("the model is already a DyDiT (\"dynamic\": true)");
        Map<String, Tensor> w = dit.weights();
        if (importanceOrder) w = ImportanceOrdering.apply(cfg, w).weights();
        DiTConfig dyn = cfg.withDynamic(true);
        DyDiTGraph.requireDynamic(dyn);
        java.util.LinkedHashMap<String, Tensor> withRouters = DiTInit.withRouters(dyn, w, seed);
        if (widthBias != DiTInit.WIDTH_ROUTER_BIAS || tokenBias != DiTInit.TOKEN_ROUTER_BIAS) {
            for (int i = 0; i < dyn.depth(); i++) {
                fill(withRouters, DiTKeys.attnRouter(i) + ".bias", widthBias);
                fill(withRouters, DiTKeys.mlpRouter(i) + ".bias", widthBias);
                fill(withRouters, DiTKeys.tokenRouter2(i) + ".bias", tokenBias);
            }
        }
        return DiTModel.of(dyn, withRouters, "DiT weights with new routers", "converted config");
    }

    private static void fill(Map<String, Tensor> w, String key, double value) {
        long[] shape = w.get(key).shape();
        float[] v = new float[Math.toIntExact(Tensor.numel(shape))];
        java.util.Arrays.fill(v, (float) value);
        w.put(key, Tensor.ofFloats(shape, v));
    }

    /**
     * A model folder as a DyDiT: a DyDiT folder as it is, a DiT folder converted ({@link #toDyDiT}, routers from
     * {@code seed}).
     */
    public static DiTModel loadAsDyDiT(Path modelDir, long seed, boolean importanceOrder) throws IOException {
        DiTModel m = DiTModel.load(modelDir);
        return m.config().dynamic() ? m : toDyDiT(m, seed, importanceOrder);
    }
}
