package org.dydit.model;

import org.dydit.formats.DType;
import org.dydit.formats.FormatException;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DiT/DyDiT state dict under its original PyTorch key names, and its validation against a {@link DiTConfig}:
 * a missing key, an unexpected key or a shape that disagrees with the config is one error that names the file,
 * the key and both shapes.
 */
public final class DiTWeights {
    private DiTWeights() {}

    /** Reads every tensor of a {@code model.safetensors} (no validation; see {@link #validate}). */
    public static LinkedHashMap<String, Tensor> readSafetensors(Path file) throws IOException {
        try (SafeTensors st = SafeTensors.open(file)) {
            LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
            for (String name : st.names()) m.put(name, st.get(name));
            return m;
        }
    }

    /**
     * Checks that {@code weights} holds exactly the keys of {@code cfg} with the shapes it implies, in a floating
     * point dtype. {@code weightsSource} and {@code configSource} (files or descriptions) go into the message.
     */
    public static void validate(DiTConfig cfg, Map<String, Tensor> weights, Object weightsSource, Object configSource)
            throws FormatException {
        Map<String, long[]> expected = DiTKeys.expected(cfg);
        List<String> problems = new ArrayList<>();
        String firstKey = null;
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Tensor t = weights.get(e.getKey());
            String problem = null;
            if (t == null) {
                problem = "missing (config " + configSource + " expects shape " + Arrays.toString(e.getValue()) + ")";
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                problem = "shape " + Arrays.toString(t.shape()) + " in the weights, but config " + configSource
                        + " (" + sizes(cfg) + ") implies " + Arrays.toString(e.getValue());
            } else if (!t.dtype().isFloating()) {
                problem = "dtype " + t.dtype() + " is not a floating point type";
            }
            if (problem != null) {
                if (firstKey == null) firstKey = e.getKey();
                problems.add("'" + e.getKey() + "' " + problem);
            }
        }
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            if (!expected.containsKey(e.getKey())) {
                String why = DiTKeys.isRouterKey(e.getKey()) && !cfg.dynamic()
                        ? " (a DyDiT router, but config " + configSource + " has \"dynamic\": false)" : "";
                if (firstKey == null) firstKey = e.getKey();
                problems.add("'" + e.getKey() + "' unexpected: shape " + Arrays.toString(e.getValue().shape())
                        + " is not part of the model of config " + configSource + why);
            }
        }
        if (!problems.isEmpty()) {
            String first = problems.get(0);
            String what = first.substring(firstKey.length() + 3);
            String more = problems.size() == 1 ? "" : " (and " + (problems.size() - 1) + " more: "
                    + String.join("; ", problems.subList(1, Math.min(problems.size(), 4)))
                    + (problems.size() > 4 ? "; ..." : "") + ")";
            throw FormatException.of(weightsSource, firstKey, what + more);
        }
    }

    /** The sizes a reader needs to see which config key is wrong. */
    private static String sizes(DiTConfig c) {
        return "hidden_size " + c.hiddenSize() + ", depth " + c.depth() + ", num_heads " + c.numHeads()
                + ", patch_size " + c.patchSize() + ", in_channels " + c.inChannels() + ", input_size " + c.inputSize()
                + ", num_classes " + c.numClasses() + ", mlp_ratio " + c.mlpRatio() + ", learn_sigma " + c.learnSigma();
    }

    /** Prefixes that PyTorch wrappers put before every key: DistributedDataParallel and torch.compile. */
    private static final String[] WRAPPER_PREFIXES = {"module.", "_orig_mod."};

    /** {@code w} without a wrapper prefix shared by every key (a model saved while wrapped), else {@code w} itself. */
    public static Map<String, Tensor> stripWrapperPrefix(Map<String, Tensor> w) {
        for (String p : WRAPPER_PREFIXES) {
            if (!w.isEmpty() && w.keySet().stream().allMatch(k -> k.startsWith(p))) {
                LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
                w.forEach((k, v) -> m.put(k.substring(p.length()), v));
                return stripWrapperPrefix(m);
            }
        }
        return w;
    }

    /** A copy in F32 (the dtype model folders are written in), in the reference key order. */
    public static LinkedHashMap<String, Tensor> ordered(DiTConfig cfg, Map<String, Tensor> weights) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        for (String k : DiTKeys.expected(cfg).keySet()) {
            Tensor t = weights.get(k);
            if (t != null) m.put(k, t.dtype() == DType.F32 ? t : t.cast(DType.F32));
        }
        return m;
    }
}
