package org.dydit.model;

import org.dydit.diffusion.ClassifierFreeGuidance;

import org.dydit.formats.FormatException;
import org.dydit.formats.AtomicFolder;
import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.dydit.formats.TorchCheckpoint;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A DiT with its weights: loads and saves model folders ({@code config.json} + {@code model.safetensors} with the
 * original PyTorch keys) and PyTorch checkpoints, and runs the reference forward pass through {@link DiTGraph}.
 */
public final class DiTModel {
    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";

    private final DiTConfig config;
    private final LinkedHashMap<String, Tensor> weights;
    private SameDiff inference;

    private DiTModel(DiTConfig config, LinkedHashMap<String, Tensor> weights) {
        this.config = config;
        this.weights = weights;
    }

    /**
     * A model of {@code weights} (original keys) checked against {@code config}; the sources name the files in
     * error messages.
     */
    public static DiTModel of(DiTConfig config, Map<String, Tensor> weights, Object weightsSource, Object configSource)
            throws FormatException {
        DiTWeights.validate(config, weights, weightsSource, configSource);
        return new DiTModel(config, DiTWeights.ordered(config, weights));
    }

    /**
     * Loads a model folder: {@code config.json} and {@code model.safetensors} (reference key names, or the names
     * diffusers uses, which are converted).
     */
    public static DiTModel load(Path modelDir) throws IOException {
        Path cfgFile = modelDir.resolve(CONFIG_FILE);
        Path wFile = modelDir.resolve(WEIGHTS_FILE);
        if (!Files.isDirectory(modelDir)) throw new IOException("model folder not found: " + modelDir.toAbsolutePath());
        if (!Files.isRegularFile(cfgFile)) throw new IOException("model folder " + modelDir.toAbsolutePath() + " has no " + CONFIG_FILE);
        if (!Files.isRegularFile(wFile)) throw new IOException("model folder " + modelDir.toAbsolutePath() + " has no " + WEIGHTS_FILE);
        return loadCheckpoint(wFile, cfgFile, null);
    }

    /**
     * Loads weights from one file with the sizes of {@code configJson}: a PyTorch checkpoint written by
     * {@code torch.save} (a bare state dict such as the official DiT release, or a training checkpoint, from which
     * {@code which} picks {@code "ema"}, the default as in DiT's {@code find_model}, or {@code "model"}), or a
     * {@code .safetensors} state dict. Diffusers key names are converted to the reference ones, and the prefix that
     * DDP or {@code torch.compile} wrappers add to every key ({@code module.}, {@code _orig_mod.}) is dropped.
     */
    public static DiTModel loadCheckpoint(Path file, Path configJson, String which) throws IOException {
        DiTConfig cfg = DiTConfig.read(configJson);
        Path src = file.toAbsolutePath();
        Map<String, Tensor> w = file.getFileName().toString().endsWith(".safetensors")
                ? DiTWeights.readSafetensors(file)
                : TorchCheckpoint.loadStateDict(file, which == null ? "ema" : which);
        w = DiTWeights.stripWrapperPrefix(w);
        if (DiffusersDiT.looksLikeDiffusers(w)) w = DiffusersDiT.toReference(cfg, w, src);
        return of(cfg, w, src, configJson.toAbsolutePath());
    }

    /** A freshly initialised model (the paper's initialisation; its output is zero). */
    public static DiTModel init(DiTConfig config, long seed) {
        return new DiTModel(config, DiTInit.init(config, seed));
    }

    public DiTConfig config() {
        return config;
    }

    /** The state dict under the original keys, in reference order (read-only). */
    public Map<String, Tensor> weights() {
        return Collections.unmodifiableMap(weights);
    }

    /** The weights as ND4J arrays of {@code type}, for graphs and engines. */
    public Map<String, INDArray> weightArrays(DataType type) {
        return NdTensors.toNd(weights, type);
    }

    /** A new SameDiff graph of this model in {@code type}; {@code training} adds the class-dropout placeholder. */
    public SameDiff graph(DataType type, boolean training) {
        return DiTGraph.build(config, weightArrays(type), type, training);
    }

    /**
     * {@code forward(x, t, y)} of the reference DiT in float32: x (B,C,H,W), t (B) original timesteps (any numeric
     * type), y (B) labels with {@code num_classes} as the null class. Returns (B, outChannels, H, W).
     * A DyDiT config runs its complete (full-width, every token) model here: the routers are not applied.
     */
    public synchronized INDArray forward(INDArray x, INDArray t, INDArray y) {
        checkInputs(x, t, y);
        if (inference == null) inference = graph(DataType.FLOAT, false);
        Map<String, INDArray> ph = new LinkedHashMap<>();
        ph.put(DiTGraph.X, x.castTo(DataType.FLOAT));
        ph.put(DiTGraph.T, t.reshape(t.length()).castTo(DataType.FLOAT));
        ph.put(DiTGraph.Y, y.reshape(y.length()).castTo(DataType.INT64));
        return inference.output(ph, DiTGraph.OUT).get(DiTGraph.OUT);
    }

    /**
     * {@code forward_with_cfg} of the reference: the first half of {@code x} is used for both halves, {@code y}
     * holds the conditional labels then the null labels, and the first 3 output channels get
     * {@code uncond + scale (cond - uncond)} in both halves.
     */
    public INDArray forwardWithCfg(INDArray x, INDArray t, INDArray y, double scale) {
        return guided(forward(guidanceInput(x), t, y), scale);
    }

    /** The model input of a guided step: the first half of {@code x} twice, as the reference builds it. */
    public static INDArray guidanceInput(INDArray x) {
        long n = x.size(0);
        if (n % 2 != 0 || n == 0) {
            throw new IllegalArgumentException("classifier-free guidance needs an even batch [cond; uncond], got " + n);
        }
        INDArray half = x.get(NDArrayIndex.interval(0, n / 2)).dup('c');
        return Nd4j.concat(0, half, half);
    }

    /** A [cond; uncond] model output (2n, C', H, W) with {@link ClassifierFreeGuidance#combine} applied (float32). */
    public static INDArray guided(INDArray out, double scale) {
        float[] o = out.dup('c').data().asFloat();
        ClassifierFreeGuidance.combine(o, out.shape(), scale, ClassifierFreeGuidance.DIT_GUIDED_CHANNELS);
        return Nd4j.create(o, out.shape(), 'c');
    }

    private void checkInputs(INDArray x, INDArray t, INDArray y) {
        long[] want = {x.rank() == 4 ? x.size(0) : -1, config.inChannels(), config.inputSize(), config.inputSize()};
        if (x.rank() != 4 || !Arrays.equals(x.shape(), want)) {
            throw new IllegalArgumentException("x has shape " + Arrays.toString(x.shape()) + " but the model takes (B, "
                    + config.inChannels() + ", " + config.inputSize() + ", " + config.inputSize() + ")");
        }
        long b = x.size(0);
        if (t.length() != b || y.length() != b) {
            throw new IllegalArgumentException("batch sizes differ: x has " + b + " samples, t " + t.length() + ", y " + y.length());
        }
        long rows = config.labelTableRows();
        long[] labels = y.castTo(DataType.INT64).reshape(y.length()).toLongVector();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= rows) {
                throw new IllegalArgumentException("label y[" + i + "] = " + labels[i] + " is outside 0.." + (rows - 1)
                        + " (num_classes " + config.numClasses() + (rows > config.numClasses() ? ", null class " + config.numClasses() : "") + ")");
            }
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (F32, original keys) into a temporary folder beside
     * {@code modelDir} and renames it into place only when both are complete; an existing model folder is replaced only
     * then, and a folder holding anything else is refused.
     */
    public void save(Path modelDir) throws IOException {
        LinkedHashMap<String, SafeTensorsWriter.Source> src = new LinkedHashMap<>();
        DiTWeights.ordered(config, weights).forEach((k, t) -> src.put(k, SafeTensorsWriter.source(t)));
        save(modelDir, config, src);
    }

    /**
     * {@link #save} for weights streamed from elsewhere (a trainer's off-heap EMA): {@code weights} must hold F32
     * tensors under the original keys of {@code config}, in the order they are to be written.
     */
    public static void save(Path modelDir, DiTConfig config, Map<String, ? extends SafeTensorsWriter.Source> weights) throws IOException {
        Path target = modelDir.toAbsolutePath().normalize();
        checkReplaceable(target);
        AtomicFolder.replace(target, tmp -> {
            config.write(tmp.resolve(CONFIG_FILE));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("dydit.config", config.toJson());
            SafeTensorsWriter.writeSources(tmp.resolve(WEIGHTS_FILE), weights, meta);
        });
    }

    /**
     * Saving swaps whole folders, so an existing target may only hold what a save writes: anything else (a user's
     * folder named by mistake) is refused rather than deleted.
     */
    private static void checkReplaceable(Path target) throws IOException {
        AtomicFolder.requireReplaceable(target, "a model folder (" + CONFIG_FILE + ", " + WEIGHTS_FILE + ")",
                n -> n.equals(CONFIG_FILE) || n.equals(WEIGHTS_FILE));
    }
}
