package org.dydit.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.dydit.engine.DiTParams;
import org.dydit.formats.AtomicFile;
import org.dydit.formats.AtomicFolder;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.model.PositionEmbedding;
import org.nd4j.linalg.api.buffer.DataType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint folder, for either objective:
 * <pre>
 *   model/                    the EMA weights as a model folder (config.json + model.safetensors), ready to sample
 *   train_state.safetensors   raw weights, Adam first and second moments: "params.KEY", "adam_m.KEY", "adam_v.KEY"
 *   train_state.json          format, step, objective (name and recipe), optimiser settings, RNG (counter-based:
 *                             seed + step), model config, and the data: its source and how far it has been read
 *                             ({@link TrainData})
 * </pre>
 * Tensors are streamed key by key between the off-heap stores and the files, so saving or loading a DiT-XL/2 holds
 * no second copy of its 2.7 GB stores. The content is written under a temporary name beside the target and its
 * files renamed into place only when complete ({@link AtomicFolder#replaceInPlace}, {@value #STATE_JSON} last), so
 * the folder never goes missing and a crash never leaves a half-written file; a run killed during the renames is
 * finished by {@link AtomicFolder#cleanStale}. Format 1 (DiT only, no
 * objective key) still loads, as a DiT objective.
 */
public final class TrainCheckpoint {
    private TrainCheckpoint() {}

    public static final String MODEL_DIR = "model";
    public static final String STATE_TENSORS = "train_state.safetensors";
    public static final String STATE_JSON = "train_state.json";
    public static final String FORMAT = "dydit-train-state/2";
    /** The DiT-only format before objectives were recorded; read as the DiT objective. */
    static final String FORMAT_1 = "dydit-train-state/1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Where a run's training data comes from and how far it has been read: {@code source} is {@value #SYNTHETIC} or
     * the dataset folder, {@code manifestSha256} the SHA-256 of its manifest.json (null for synthetic data),
     * {@code position} the records consumed so far over all epochs (the next batch starts there).
     */
    public record TrainData(String source, String manifestSha256, long position) {
        public static final String SYNTHETIC = "synthetic";

        public TrainData {
            if (source == null || source.isEmpty()) throw new IllegalArgumentException("data source is empty");
            if (position < 0) throw new IllegalArgumentException("negative data position " + position);
        }
    }

    public static void save(Trainer tr, Path dir) throws IOException {
        save(tr, dir, null, null);
    }

    /**
     * Saves {@code tr} with its data position {@code data} (null: not recorded) into {@code dir}; {@code extra},
     * when not null, adds files to the new folder before it is renamed into place. An existing {@code dir} is
     * replaced only when it is a checkpoint or empty.
     */
    public static void save(Trainer tr, Path dir, TrainData data, AtomicFolder.Writer extra) throws IOException {
        requireReplaceable(dir);
        // in place: the checkpoint folder and each of its files exist throughout; train_state.json is renamed last
        AtomicFolder.replaceInPlace(dir, STATE_JSON, tmp -> {
            writeInto(tr, data, tmp);
            if (extra != null) extra.writeInto(tmp);
        });
    }

    /** Whether {@code dir} is a training checkpoint folder (it holds {@value #STATE_JSON}). */
    public static boolean isCheckpoint(Path dir) {
        return Files.isRegularFile(dir.resolve(STATE_JSON));
    }

    /**
     * Fails, naming {@code dir}, unless saving a checkpoint there replaces nothing but a checkpoint: it is absent,
     * an empty folder or a checkpoint folder. A file, a dataset or any other folder is refused, not deleted.
     */
    public static void requireReplaceable(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isDirectory(dir)) throw new IOException("refusing to replace " + dir + ": it is a file, not a checkpoint folder");
        if (isCheckpoint(dir)) return;
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            java.util.Optional<Path> any = s.findFirst();
            if (any.isPresent()) {
                throw new IOException("refusing to replace " + dir + ": it is not empty and not a training checkpoint (no "
                        + STATE_JSON + "; it holds " + any.get().getFileName() + ")");
            }
        }
    }

    /** The data a checkpoint was trained on, as {@link #save} recorded it; null for a checkpoint that has none. */
    public static TrainData data(Path dir) throws IOException {
        Path jsonFile = dir.resolve(STATE_JSON);
        JsonNode d = readJson(jsonFile).get("data");
        if (d == null || d.isNull()) return null;
        JsonNode sha = d.get("manifest_sha256");
        JsonNode pos = node(d, "position", jsonFile);
        if (!pos.isIntegralNumber() || pos.asLong() < 0) {
            throw new IOException(jsonFile + ": key 'position' must be a whole number >= 0, got " + pos);
        }
        return new TrainData(text(d, "source", jsonFile), sha == null || sha.isNull() ? null : sha.asText(), pos.asLong());
    }

    /** {@code file} parsed; a missing, unreadable or malformed file is an error naming it. */
    private static JsonNode readJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("not a training checkpoint: " + file + " is missing");
        JsonNode j;
        try {
            j = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (j == null || !j.isObject()) throw new IOException(file + ": not a JSON object");
        return j;
    }

    private static void writeInto(Trainer tr, TrainData data, Path tmp) throws IOException {
        DiTConfig cfg = tr.config();
        LinkedHashMap<String, SafeTensorsWriter.Source> emaW = tr.ema().sources();
        emaW.put(DiTKeys.POS_EMBED, SafeTensorsWriter.source(posEmbed(cfg)));
        DiTModel.save(tmp.resolve(MODEL_DIR), cfg, emaW);

        Map<String, SafeTensorsWriter.Source> state = new LinkedHashMap<>();
        put(state, "params.", tr.params());
        put(state, "adam_m.", tr.adamM());
        put(state, "adam_v.", tr.adamV());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("step", Long.toString(tr.step()));
        SafeTensorsWriter.writeSources(tmp.resolve(STATE_TENSORS), state, meta);

        ObjectNode j = JSON.createObjectNode();
        j.put("format", FORMAT);
        j.put("step", tr.step());
        ObjectNode obj = j.putObject("objective");
        obj.put("name", tr.objective().name());
        obj.set("recipe", JSON.valueToTree(tr.objective().recipe()));
        TrainerSettings s = tr.settings();
        ObjectNode opt = j.putObject("optimizer");
        opt.put("name", "AdamW");
        opt.put("lr", s.lr());
        opt.put("beta1", s.beta1());
        opt.put("beta2", s.beta2());
        opt.put("eps", s.eps());
        opt.put("weight_decay", s.weightDecay());
        opt.put("clip_norm", s.clipNorm());
        opt.put("ema_decay", s.emaDecay());
        ObjectNode rng = j.putObject("rng");
        rng.put("kind", "counter (TrainingRandom: draws are functions of seed, step, sample)");
        rng.put("seed", s.seed());
        rng.put("next_step", tr.step());
        j.set("config", JSON.valueToTree(cfg.toMap()));
        if (data != null) {
            ObjectNode d = j.putObject("data");
            d.put("source", data.source());
            d.put("manifest_sha256", data.manifestSha256());
            d.put("position", data.position());
        }
        AtomicFile.writeString(tmp.resolve(STATE_JSON), JSON.writeValueAsString(j) + "\n");
    }

    /** A trainer in exactly the saved state, with the saved objective. Errors name the file and the key. */
    public static Trainer load(Path dir) throws IOException {
        Path jsonFile = dir.resolve(STATE_JSON);
        Path tensors = dir.resolve(STATE_TENSORS);
        if (!Files.isRegularFile(jsonFile)) throw new IOException("not a training checkpoint: " + jsonFile + " is missing");
        if (!Files.isRegularFile(tensors)) throw new IOException("not a training checkpoint: " + tensors + " is missing");
        JsonNode j = readJson(jsonFile);
        String format = text(j, "format", jsonFile);
        if (!FORMAT.equals(format) && !FORMAT_1.equals(format)) {
            throw new IOException(jsonFile + ": key 'format' is '" + format + "', expected " + FORMAT + " or " + FORMAT_1);
        }
        Path cfgTmp = Files.createTempFile("dydit-config", ".json");
        DiTConfig cfg;
        try {
            Files.writeString(cfgTmp, JSON.writeValueAsString(node(j, "config", jsonFile)));
            cfg = DiTConfig.read(cfgTmp);
        } finally {
            Files.deleteIfExists(cfgTmp);
        }
        JsonNode opt = node(j, "optimizer", jsonFile);
        JsonNode rng = node(j, "rng", jsonFile);
        TrainerSettings s;
        try {
            s = new TrainerSettings(num(opt, "lr", jsonFile), num(opt, "beta1", jsonFile),
                    num(opt, "beta2", jsonFile), num(opt, "eps", jsonFile), num(opt, "weight_decay", jsonFile),
                    num(opt, "clip_norm", jsonFile), num(opt, "ema_decay", jsonFile), node(rng, "seed", jsonFile).asLong());
        } catch (IllegalArgumentException e) {
            throw new IOException(jsonFile + ": invalid optimizer settings: " + e.getMessage(), e);
        }
        JsonNode stepNode = node(j, "step", jsonFile);
        if (!stepNode.isIntegralNumber() || stepNode.asLong() < 0) {
            throw new IOException(jsonFile + ": key 'step' must be a whole number >= 0, got " + stepNode);
        }
        long step = stepNode.asLong();
        String objective = DiTObjective.NAME;
        JsonNode recipe = null;
        if (FORMAT.equals(format)) {
            JsonNode o = node(j, "objective", jsonFile);
            objective = text(o, "name", jsonFile);
            recipe = node(o, "recipe", jsonFile);
        }

        Path emaFile = dir.resolve(MODEL_DIR).resolve(DiTModel.WEIGHTS_FILE);
        DiTConfig emaCfg = DiTConfig.read(dir.resolve(MODEL_DIR).resolve(DiTModel.CONFIG_FILE));
        if (!emaCfg.equals(cfg)) throw new IOException(dir.resolve(MODEL_DIR) + ": config differs from " + jsonFile);
        DiTParams p = DiTParams.zeros(cfg, DataType.FLOAT);
        Trainer tr = null;
        try (SafeTensors st = SafeTensors.open(tensors); SafeTensors emaSt = SafeTensors.open(emaFile)) {
            p.load(st, "params.");
            tr = switch (objective) {
                case DiTObjective.NAME -> Trainer.dit(p, s);
                case DyDiTObjective.NAME -> Trainer.dydit(p, DyDiTRecipe.fromJson(recipe, s, jsonFile));
                default -> throw new IOException(jsonFile + ": objective '" + objective + "' is not "
                        + DiTObjective.NAME + " or " + DyDiTObjective.NAME);
            };
            tr.adamM().load(st, "adam_m.");
            tr.adamV().load(st, "adam_v.");
            tr.ema().load(emaSt, "");
        } catch (IOException | RuntimeException e) {
            if (tr != null) tr.close();
            else p.flat().close();
            throw e;
        }
        tr.setStep(step);
        return tr;
    }

    private static void put(Map<String, SafeTensorsWriter.Source> out, String prefix, DiTParams p) {
        p.sources().forEach((k, v) -> out.put(prefix + k, v));
    }

    static Tensor posEmbed(DiTConfig cfg) {
        double[] pe = PositionEmbedding.sinCos2d(cfg.hiddenSize(), cfg.gridSize());
        float[] f = new float[pe.length];
        for (int i = 0; i < pe.length; i++) f[i] = (float) pe[i];
        return Tensor.ofFloats(new long[]{1, cfg.tokens(), cfg.hiddenSize()}, f);
    }

    static JsonNode node(JsonNode j, String key, Path file) throws IOException {
        JsonNode n = j.get(key);
        if (n == null || n.isNull()) throw new IOException(file + " has no key '" + key + "'");
        return n;
    }

    private static String text(JsonNode j, String key, Path file) throws IOException {
        return node(j, key, file).asText();
    }

    static double num(JsonNode j, String key, Path file) throws IOException {
        JsonNode n = node(j, key, file);
        if (!n.isNumber()) throw new IOException(file + ": key '" + key + "' must be a number, got " + n);
        return n.asDouble();
    }
}
