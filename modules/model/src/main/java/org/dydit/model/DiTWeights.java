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
     * point dtype, with finite values (a NaN or infinite weight is named by key and index). {@code weightsSource} and {@code configSource} (files or descriptions) go into the message.
     */
    public static void validate(DiTConfig cfg, Map<String, Tensor> weights, Object weightsSource, Object configSource)
            throws FormatException {
        Map<String, long[]> expected = DiTKeys.expected(cfg);
        String firstKey = null;
        String firstProblem = null;
        List<String> others = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Tensor t = weights.get(e.getKey());
            String want = Arrays.toString(e.getValue());
            String problem = null;
            String brief = null;
            if (t == null) {
                problem = "missing (config " + configSource + " expects shape " + want + ")";
                brief = "missing";
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                String got = Arrays.toString(t.shape());
                problem = "shape " + got + " in the weights, but config " + configSource + " (" + sizes(cfg)
                        + ") implies " + want;
                brief = got + " instead of " + want;
            } else if (!t.dtype().isFloating()) {
                problem = brief = "dtype " + t.dtype() + " is not a floating point type";
            } else {
                long bad = t.firstNonFinite();
                if (bad >= 0) problem = brief = nonFinite(t, bad);
            }
            if (problem == null) continue;
            if (firstKey == null) {
                firstKey = e.getKey();
                firstProblem = problem;
            } else {
                others.add("'" + e.getKey() + "' " + brief);
            }
        }
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            if (expected.containsKey(e.getKey())) continue;
            String shape = Arrays.toString(e.getValue().shape());
            if (firstKey == null) {
                String why = DiTKeys.isRouterKey(e.getKey()) && !cfg.dynamic()
                        ? " (a DyDiT router, but config " + configSource + " has \"dynamic\": false)" : "";
                firstKey = e.getKey();
                firstProblem = "unexpected: shape " + shape + " is not part of the model of config " + configSource + why;
            } else {
                others.add("'" + e.getKey() + "' unexpected");
            }
        }
        if (firstKey != null) {
            String more = others.isEmpty() ? "" : " (and " + others.size() + " more: "
                    + String.join("; ", others.subList(0, Math.min(others.size(), 3)))
                    + (others.size() > 3 ? "; ..." : "") + ")";
            throw FormatException.of(weightsSource, firstKey, firstProblem + more);
        }
    }

    /** "holds NaN at [i, j]": which value of a weight is not finite and where (a model must have finite weights). */
    private static String nonFinite(Tensor t, long flat) {
        double v = t.toDoubles()[(int) flat];
        long[] shape = t.shape();
        long[] at = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "holds " + (Double.isNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf") + " at " + Arrays.toString(at)
                + ": every weight must be finite";
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
