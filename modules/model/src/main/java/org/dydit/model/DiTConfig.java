package org.dydit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.dydit.formats.AtomicFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The hyper-parameters of a DiT or DyDiT, with the keys of the reference {@code config.json}.
 * {@code inputSize} is the latent side; {@code numClasses} excludes the null class, which is
 * {@code numClasses} itself.
 */
public record DiTConfig(int inputSize, int patchSize, int inChannels, int hiddenSize, int depth, int numHeads,
                        int numClasses, boolean learnSigma, double classDropoutProb, double mlpRatio,
                        boolean dynamic) {

    public DiTConfig {
        require(inputSize > 0 && patchSize > 0 && inputSize % patchSize == 0,
                "input_size " + inputSize + " must be a positive multiple of patch_size " + patchSize);
        long grid = inputSize / patchSize;
        require(grid * grid <= Integer.MAX_VALUE, "(input_size " + inputSize + " / patch_size " + patchSize + ")^2 = "
                + grid * grid + " tokens, more than the " + Integer.MAX_VALUE + " a model can hold");
        require(inChannels > 0, "in_channels must be positive: " + inChannels);
        require(depth > 0, "depth must be positive: " + depth);
        require(numHeads > 0 && hiddenSize > 0 && hiddenSize % numHeads == 0,
                "hidden_size " + hiddenSize + " must be a positive multiple of num_heads " + numHeads);
        require(hiddenSize % 4 == 0, "hidden_size must be a multiple of 4 (2-D sin-cos position embedding): " + hiddenSize);
        require(numClasses > 0, "num_classes must be positive: " + numClasses);
        require(mlpRatio > 0, "mlp_ratio must be positive: " + mlpRatio);
        require(classDropoutProb >= 0 && classDropoutProb < 1, "class_dropout_prob must be in [0,1): " + classDropoutProb);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("invalid DiT config: " + message);
    }

    /** Depth, width and heads of the paper's sizes S, B, L, XL. */
    private static final Map<String, int[]> SIZES = Map.of(
            "S", new int[]{12, 384, 6},
            "B", new int[]{12, 768, 12},
            "L", new int[]{24, 1024, 16},
            "XL", new int[]{28, 1152, 16});

    /**
     * A named model such as {@code DiT-XL/2}: ImageNet 256x256 defaults (latent side 32, 4 channels,
     * 1000 classes, learned sigma, class dropout 0.1, MLP ratio 4). A {@code DyDiT-} prefix sets {@code dynamic}.
     */
    public static DiTConfig preset(String name) {
        String n = name.trim();
        boolean dyn = false;
        String upper = n.toUpperCase(Locale.ROOT);
        if (upper.startsWith("DYDIT-")) {
            dyn = true;
            n = n.substring(6);
        } else if (upper.startsWith("DIT-")) {
            n = n.substring(4);
        } else {
            throw new IllegalArgumentException("unknown model name '" + name + "': expected DiT-{S,B,L,XL}/{2,4,8}");
        }
        String[] parts = n.split("/");
        int[] size = parts.length == 2 ? SIZES.get(parts[0].toUpperCase(Locale.ROOT)) : null;
        if (size == null) {
            throw new IllegalArgumentException("unknown model name '" + name + "': expected DiT-{S,B,L,XL}/{2,4,8}");
        }
        int patch;
        try {
            patch = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown patch size in model name '" + name + "'");
        }
        return new DiTConfig(32, patch, 4, size[1], size[0], size[2], 1000, true, 0.1, 4.0, dyn);
    }

    public DiTConfig withInputSize(int side) {
        return new DiTConfig(side, patchSize, inChannels, hiddenSize, depth, numHeads, numClasses, learnSigma,
                classDropoutProb, mlpRatio, dynamic);
    }

    public DiTConfig withInChannels(int channels) {
        return new DiTConfig(inputSize, patchSize, channels, hiddenSize, depth, numHeads, numClasses, learnSigma,
                classDropoutProb, mlpRatio, dynamic);
    }

    public DiTConfig withNumClasses(int classes) {
        return new DiTConfig(inputSize, patchSize, inChannels, hiddenSize, depth, numHeads, classes, learnSigma,
                classDropoutProb, mlpRatio, dynamic);
    }

    public DiTConfig withDynamic(boolean dyn) {
        return new DiTConfig(inputSize, patchSize, inChannels, hiddenSize, depth, numHeads, numClasses, learnSigma,
                classDropoutProb, mlpRatio, dyn);
    }

    /** Tokens per sample: (input/patch)^2. */
    public int tokens() {
        int g = gridSize();
        return g * g;
    }

    public int gridSize() {
        return inputSize / patchSize;
    }

    /** Channels of the model output: twice the input channels with learned sigma. */
    public int outChannels() {
        return learnSigma ? 2 * inChannels : inChannels;
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** MLP hidden width, {@code int(D * mlp_ratio)} as the reference computes it. */
    public int mlpHidden() {
        return (int) (hiddenSize * mlpRatio);
    }

    /** Values per token out of the final layer: p*p*outChannels. */
    public int patchOut() {
        return patchSize * patchSize * outChannels();
    }

    /** Rows of the label table: one extra null class when class dropout is used. */
    public int labelTableRows() {
        return classDropoutProb > 0 ? numClasses + 1 : numClasses;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Reads {@code config.json}; a missing or mistyped key is an error naming the file and the key. */
    public static DiTConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot parse model config " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException("model config " + file + " is not a JSON object");
        }
        return new DiTConfig(
                intKey(root, file, "input_size", null),
                intKey(root, file, "patch_size", null),
                intKey(root, file, "in_channels", 4),
                intKey(root, file, "hidden_size", null),
                intKey(root, file, "depth", null),
                intKey(root, file, "num_heads", null),
                intKey(root, file, "num_classes", 1000),
                boolKey(root, file, "learn_sigma", true),
                doubleKey(root, file, "class_dropout_prob", 0.1),
                doubleKey(root, file, "mlp_ratio", 4.0),
                boolKey(root, file, "dynamic", false));
    }

    private static int intKey(JsonNode root, Path file, String key, Integer dflt) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            if (dflt != null) return dflt;
            throw new IOException("model config " + file + " has no key '" + key + "'");
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IOException("model config " + file + ": key '" + key + "' must be an integer, got " + v);
        }
        return v.intValue();
    }

    private static double doubleKey(JsonNode root, Path file, String key, double dflt) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw new IOException("model config " + file + ": key '" + key + "' must be a number, got " + v);
        return v.doubleValue();
    }

    private static boolean boolKey(JsonNode root, Path file, String key, boolean dflt) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw new IOException("model config " + file + ": key '" + key + "' must be true or false, got " + v);
        return v.booleanValue();
    }

    /**
     * The reference keys, in the reference order: a DiT's are exactly the arguments of the reference
     * {@code DiT(**config)}; a DyDiT adds {@code "dynamic": true}. (Folders that still say {@code "dynamic": false}
     * read as before.)
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input_size", inputSize);
        m.put("patch_size", patchSize);
        m.put("in_channels", inChannels);
        m.put("hidden_size", hiddenSize);
        m.put("depth", depth);
        m.put("num_heads", numHeads);
        m.put("num_classes", numClasses);
        m.put("learn_sigma", learnSigma);
        m.put("class_dropout_prob", classDropoutProb);
        m.put("mlp_ratio", mlpRatio);
        if (dynamic) m.put("dynamic", true);
        return m;
    }

    public String toJson() {
        ObjectNode node = JSON.valueToTree(toMap());
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code config.json} through a temporary file and an atomic rename. */
    public void write(Path file) throws IOException {
        AtomicFile.writeString(file, toJson() + "\n");
    }
}
