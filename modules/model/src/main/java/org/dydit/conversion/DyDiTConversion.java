package org.dydit.conversion;

import org.dydit.model.DyDiTGraph;
import org.dydit.formats.FormatException;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTInit;
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
        DiTConfig cfg = dit.config();
        if (cfg.dynamic()) throw new IllegalArgumentException("the model is already a DyDiT (\"dynamic\": true)");
        Map<String, Tensor> w = dit.weights();
        if (importanceOrder) w = ImportanceOrdering.apply(cfg, w).weights();
        DiTConfig dyn = cfg.withDynamic(true);
        DyDiTGraph.requireDynamic(dyn);
        return DiTModel.of(dyn, DiTInit.withRouters(dyn, w, seed), "DiT weights with new routers", "converted config");
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
