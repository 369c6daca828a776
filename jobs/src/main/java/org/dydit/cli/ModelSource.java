package org.dydit.cli;

import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a command's model comes from: {@code --model NAME}, {@code --model-dir DIR} and {@code --config FILE}, each
 * declared once here with its checks. A command takes one as a {@code @Mixin} (the option is then required) or
 * combines several in an {@code @ArgGroup} (exclusive: exactly one of them; {@code "0..1"}: optional), so the option
 * reads and behaves the same in every command.
 */
final class ModelSource {
    private ModelSource() {}

    static final String NAMES = "'tiny' (input 8, patch 2, width 64, 2 blocks, 4 heads, 4 channels, 10 classes) or "
            + "DiT-{S,B,L,XL}/{2,4,8} (ImageNet 256x256: latent side 32, 4 channels, 1000 classes)";

    /** The small model of quick runs and tests. */
    static DiTConfig tiny() {
        return new DiTConfig(8, 2, 4, 64, 2, 4, 10, true, 0.1, 4.0, false);
    }

    /** A named model: {@code tiny} or a paper size such as {@code DiT-XL/2}; an unknown name is an error naming it. */
    static DiTConfig preset(String name) {
        return "tiny".equalsIgnoreCase(name.trim()) ? tiny() : DiTConfig.preset(name);
    }

    /** {@code --model NAME}: a model of a named size. */
    static final class Name {
        @Option(names = "--model", paramLabel = "NAME", required = true, description = "A named model: " + NAMES + ".")
        String name;

        DiTConfig config() {
            return preset(name);
        }
    }

    /** {@code --model-dir DIR}: a model folder as {@code DiTModel.save} writes it. */
    static final class Folder {
        @Option(names = "--model-dir", paramLabel = "DIR", required = true,
                description = "A model folder (config.json, model.safetensors).")
        Path dir;

        /** The folder's config.json alone, without reading the weights. */
        DiTConfig config() throws IOException {
            Path file = dir.resolve(DiTModel.CONFIG_FILE);
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new java.io.FileNotFoundException("model folder " + dir + " has no " + DiTModel.CONFIG_FILE);
            }
            return DiTConfig.read(file);
        }

        DiTModel load() throws IOException {
            return DiTModel.load(dir);
        }

        /** The folder's model, which must be a DyDiT ({@code "dynamic": true}). */
        DiTModel loadDyDiT() throws IOException {
            DiTModel m = load();
            if (!m.config().dynamic()) {
                throw new IllegalArgumentException("model folder " + dir + " holds a DiT (\"dynamic\": false), not a DyDiT");
            }
            return m;
        }

        /** The folder's model, which must be a DiT ({@code "dynamic": false}). */
        DiTModel loadDiT() throws IOException {
            DiTModel m = load();
            if (m.config().dynamic()) {
                throw new IllegalArgumentException("model folder " + dir + " already holds a DyDiT (\"dynamic\": true in "
                        + DiTModel.CONFIG_FILE + ")");
            }
            return m;
        }
    }

    /** {@code --config FILE}: the sizes of a model, as a config.json. */
    static final class ConfigFile {
        @Option(names = "--config", paramLabel = "FILE", required = true,
                description = "A config.json giving the model's sizes (the keys of the reference config.json).")
        Path file;

        DiTConfig read() throws IOException {
            return DiTConfig.read(file);
        }
    }

    /**
     * The model in one weights file: a PyTorch {@code .pt} (the official bare state dict, or a training checkpoint,
     * whose {@code weights} - ema or model - is taken) or a {@code .safetensors} state dict (reference or diffusers
     * key names), with the sizes of {@code config} (the file holds none), through {@link DiTModel#loadCheckpoint}.
     */
    static DiTModel checkpointFile(Path file, Path config, String weights, String fileOption) throws IOException {
        if (!"ema".equals(weights) && !"model".equals(weights)) {
            throw new IllegalArgumentException("--weights must be ema or model, got '" + weights + "'");
        }
        if (!java.nio.file.Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString());
        if (config == null) {
            throw new IllegalArgumentException(fileOption + " " + file + " is a weights file without the model's sizes: "
                    + "give them with --config FILE (a config.json)");
        }
        return DiTModel.loadCheckpoint(file, config, weights);
    }
}
