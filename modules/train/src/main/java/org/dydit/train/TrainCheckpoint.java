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
 *                             seed + step), model config
 * </pre>
 * Tensors are streamed key by key between the off-heap stores and the files, so saving or loading a DiT-XL/2 holds
 * no second copy of its 2.7 GB stores. The folder is written under a temporary name beside the target and renamed
 * into place only when complete, so a crash never leaves a half-written checkpoint. Format 1 (DiT only, no
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

    public static void save(Trainer tr, Path dir) throws IOException {
        AtomicFolder.replace(dir, tmp -> writeInto(tr, tmp));
    }

    private static void writeInto(Trainer tr, Path tmp) throws IOException {
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
        AtomicFile.writeString(tmp.resolve(STATE_JSON), JSON.writeValueAsString(j) + "\n");
    }

    /** A trainer in exactly the saved state, with the saved objective. Errors name the file and the key. */
    public static Trainer load(Path dir) throws IOException {
        Path jsonFile = dir.resolve(STATE_JSON);
        Path tensors = dir.resolve(STATE_TENSORS);
        if (!Files.isRegularFile(jsonFile)) throw new IOException("not a training checkpoint: " + jsonFile + " is missing");
        if (!Files.isRegularFile(tensors)) throw new IOException("not a training checkpoint: " + tensors + " is missing");
        JsonNode j = JSON.readTree(jsonFile.toFile());
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
        TrainerSettings s = new TrainerSettings(num(opt, "lr", jsonFile), num(opt, "beta1", jsonFile),
                num(opt, "beta2", jsonFile), num(opt, "eps", jsonFile), num(opt, "weight_decay", jsonFile),
                num(opt, "clip_norm", jsonFile), num(opt, "ema_decay", jsonFile), node(rng, "seed", jsonFile).asLong());
        long step = node(j, "step", jsonFile).asLong();
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
