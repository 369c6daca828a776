package org.dydit.cli;

import org.dydit.engine.DiTParams;
import org.dydit.train.SyntheticLatents;
import org.dydit.train.TrainCheckpoint;
import org.dydit.train.Trainer;
import org.dydit.train.TrainerSettings;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dydit train}: single-process training of a DiT on the hand-written engine, on a {@code dydit prep} dataset
 * read into memory ({@link DatasetLatents}) or on the synthetic in-memory class-conditional set
 * ({@link SyntheticLatents}). Checkpoints are folders: {@code model/} (EMA weights, a model folder) plus the
 * training state.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a DiT in this process on the hand-written engine (AdamW, gradient clipping, EMA) and "
                + "write checkpoints (model/ with the EMA weights + train_state.*). Prints a JSON summary on stdout; "
                + "progress goes to stderr.",
                "Model: a fresh paper-initialised one of a named size (--model) or of a config.json (--config), "
                        + "changed by the size options (--depth, --width, ...); the weights of a model folder "
                        + "(--model-dir); or a training checkpoint to continue (--resume).",
                "Data: a dataset folder written by 'dydit prep' (--data DIR, read into memory; a fresh model takes "
                        + "in_channels, input_size and num_classes from its manifest unless given) or a synthetic in-memory "
                        + "class-conditional latent set (--data synthetic, the default)."})
final class TrainCommand implements Callable<Integer> {

    /** Exactly one of: a fresh model (--model or --config), the weights of --model-dir, or --resume. */
    static final class Start {
        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Name named;

        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.ConfigFile config;

        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Folder folder;

        @Option(names = "--resume", paramLabel = "DIR", required = true, description = "Continue from this training checkpoint folder (its objective, DiT or DyDiT, and recipe come with it).")
        Path resume;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Start start;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Checkpoint folder (replaced atomically).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "100", description = "Train until this step count (default ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Samples per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-4", description = "AdamW learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--beta1", defaultValue = "0.9") double beta1;
    @Option(names = "--beta2", defaultValue = "0.999") double beta2;
    @Option(names = "--adam-eps", defaultValue = "1e-8") double adamEps;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip-norm", defaultValue = "0", description = "Max gradient L2 norm; 0 = no clipping (default).")
    double clipNorm;

    @Option(names = "--ema-decay", defaultValue = "0.9999", description = "EMA decay per step (default ${DEFAULT-VALUE}).")
    double emaDecay;

    @Mixin
    SeedOption seed;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "synthetic",
            description = "Training data: a dataset folder written by 'dydit prep' (local path, file:// or hdfs://), "
                    + "or 'synthetic' (default).")
    String data;

    /** Sizes of a fresh model (--model or --config); with --data, channels, size and classes default to the dataset's. */
    @Mixin
    ConfigOverrides overrides;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "0",
            description = "Also checkpoint every N steps (0: only at the end).")
    long checkpointEvery;

    @Option(names = "--log-every", paramLabel = "N", defaultValue = "10", description = "Progress line every N steps.")
    long logEvery;

    @Spec
    CommandSpec spec;

    /** The fresh model's config: the dataset's channels, size and classes when training on one, then the overrides. */
    private DiTConfig fresh(DiTConfig c, DatasetLatents ds) {
        if (ds == null) return overrides.apply(c);
        return overrides.applyForData(c, ds.manifest().shape[0], ds.manifest().shape[1], ds.manifest().numClasses);
    }

    @Override
    public Integer call() throws Exception {
        if (batch < 1) throw new IllegalArgumentException("--batch must be positive, got " + batch);
        PrintWriter err = spec.commandLine().getErr();
        DatasetLatents dataset = null;
        if (!"synthetic".equals(data)) {
            dataset = DatasetLatents.read(data);
            err.printf("train: --data %s: %d records of shape %s, %d classes%n", data, dataset.size(),
                    java.util.Arrays.toString(dataset.manifest().shape), dataset.manifest().numClasses);
        }
        if (start.resume != null || start.folder != null) {
            overrides.requireNone("the size options shape a fresh model (--model or --config), not --model-dir or --resume");
        }
        Trainer tr;
        if (start.resume != null) {
            tr = TrainCheckpoint.load(start.resume);
            err.printf("train: resumed %s at step %d%n", start.resume, tr.step());
        } else {
            DiTModel m;
            if (start.folder != null) {
                m = start.folder.load();
            } else {
                DiTConfig cfg = fresh(start.config != null ? start.config.read() : start.named.config(), dataset);
                m = DiTModel.init(cfg, seed.seed());
            }
            TrainerSettings s = new TrainerSettings(lr, beta1, beta2, adamEps, weightDecay, clipNorm, emaDecay, seed.seed());
            tr = Trainer.dit(DiTParams.of(m.config(), m.weights(), DataType.FLOAT), s);
        }
        try (Trainer trainer = tr) {
            DiTConfig cfg = trainer.config();
            SyntheticLatents set = null;
            if (dataset != null) dataset.requireFits(cfg);
            else set = new SyntheticLatents(cfg, trainer.settings().seed());
            int perSample = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
            float[] x0 = new float[batch * perSample];
            int[] y = new int[batch];
            long startStep = trainer.step();
            double first = Double.NaN, last = Double.NaN, window = 0;
            int inWindow = 0;
            long t0 = System.nanoTime();
            while (trainer.step() < steps) {
                if (dataset != null) dataset.batch(trainer.settings().seed(), trainer.step(), x0, y);
                else set.batch(trainer.step(), x0, y);
                Trainer.StepResult r = trainer.step(x0, y);
                if (!Double.isFinite(r.loss())) {
                    throw new IllegalStateException("loss is " + r.loss() + " at step " + r.step() + "; last checkpoint is kept");
                }
                if (Double.isNaN(first)) first = r.loss();
                last = r.loss();
                window += r.loss();
                inWindow++;
                if (logEvery > 0 && (r.step() % logEvery == 0 || r.step() == steps)) {
                    StringBuilder terms = new StringBuilder();
                    r.terms().forEach((k, v) -> terms.append(String.format("  %s %.4f", k, v)));
                    err.printf("train: step %d/%d  loss %.4f (mean of last %d: %.4f)%s  |g| %.3g  %.2f s/step%n",
                            r.step(), steps, r.loss(), inWindow, window / inWindow, terms, r.gradNorm(),
                            (System.nanoTime() - t0) / 1e9 / (r.step() - startStep));
                    err.flush();
                    window = 0;
                    inWindow = 0;
                }
                if (checkpointEvery > 0 && r.step() % checkpointEvery == 0 && r.step() < steps) {
                    TrainCheckpoint.save(trainer, out);
                    err.printf("train: checkpoint %s (step %d)%n", out, r.step());
                }
            }
            TrainCheckpoint.save(trainer, out);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("data", dataset != null ? data : "synthetic");
            summary.put("steps", trainer.step());
            summary.put("steps_this_run", trainer.step() - startStep);
            summary.put("first_loss", first);
            summary.put("last_loss", last);
            summary.put("seconds", (System.nanoTime() - t0) / 1e9);
            summary.put("checkpoint", out.toAbsolutePath().toString());
            summary.put("model_dir", out.resolve(TrainCheckpoint.MODEL_DIR).toAbsolutePath().toString());
            spec.commandLine().getOut().println(Json.write(summary));
            if (!Files.isDirectory(out.resolve(TrainCheckpoint.MODEL_DIR))) throw new IllegalStateException("checkpoint not written");
        }
        return Main.EXIT_OK;
    }
}
