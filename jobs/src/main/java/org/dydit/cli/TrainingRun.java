package org.dydit.cli;

import org.dydit.prep.cli.Checks;

import org.dydit.formats.AtomicFolder;
import org.dydit.model.DiTConfig;
import org.dydit.train.SyntheticLatents;
import org.dydit.train.TrainCheckpoint;
import org.dydit.train.TrainCheckpoint.TrainData;
import org.dydit.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What {@code train} and {@code finetune} share: the checkpoint folder ({@code --out}) and its checks, the training
 * data and its position, and the loop of steps with progress lines and checkpoints. The objective (DiT or DyDiT) is
 * the {@link Trainer}'s.
 */
final class TrainingRun {

    /** The options of a training run's data, batches and checkpoints. */
    static final class Options {
        @Option(names = "--out", paramLabel = "DIR", required = true,
                description = "Checkpoint folder: absent, empty or an earlier checkpoint (replaced atomically); anything else is refused.")
        Path out;

        @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Samples per step, >= 1 (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--data", paramLabel = "DIR|synthetic",
                description = "Training data: a dataset folder written by 'dydit prep' (local path, file:// or hdfs://; "
                        + "streamed, reshuffled every epoch from --seed), or 'synthetic' (the default; with --resume: "
                        + "the checkpoint's data).")
        String data;

        @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "0",
                description = "Also checkpoint every N steps, >= 0 (0: only at the end).")
        long checkpointEvery;

        @Option(names = "--log-every", paramLabel = "N", defaultValue = "10", description = "Progress line every N steps, >= 0 (0: none).")
        long logEvery;

        /** Range checks of these options and of the step target {@code steps}, as usage errors. */
        void validate(CommandSpec spec, long steps) {
            Checks.require(spec, "--batch", batch, batch >= 1, ">= 1");
            Checks.require(spec, "--checkpoint-every", checkpointEvery, checkpointEvery >= 0, ">= 0");
            Checks.require(spec, "--log-every", logEvery, logEvery >= 0, ">= 0");
            Checks.require(spec, "--steps", steps, steps >= 1, ">= 1");
            if (data != null && data.isBlank()) throw new CommandLine.ParameterException(spec.commandLine(), "--data is empty");
        }
    }

    private TrainingRun() {}

    /** A local folder named by a data source, or null for synthetic data and remote (hdfs://) folders. */
    static Path localFolder(String source) {
        if (source == null || TrainData.SYNTHETIC.equals(source)) return null;
        if (source.startsWith("file://")) return Path.of(java.net.URI.create(source)).toAbsolutePath().normalize();
        if (source.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) return null;
        return Path.of(source).toAbsolutePath().normalize();
    }

    /**
     * Checks {@code out} before any training, so that a run never ends in an error it could have given at the start:
     * it must not be, hold or lie inside one of {@code inputs} (the dataset, the initial model), must be absent, empty
     * or a checkpoint, and its folder must be writable. Then removes what killed runs left beside it.
     */
    static void prepareOut(Path out, Map<String, Path> inputs, PrintWriter log, String name) throws IOException {
        Path o = out.toAbsolutePath().normalize();
        for (Map.Entry<String, Path> in : inputs.entrySet()) {
            if (in.getValue() == null) continue;
            Path p = in.getValue().toAbsolutePath().normalize();
            if (o.equals(p) || o.startsWith(p) || p.startsWith(o)) {
                String how = o.equals(p) ? "is" : o.startsWith(p) ? "lies inside" : "holds";
                throw new IllegalArgumentException("--out " + out + " " + how + " " + in.getKey() + " (" + in.getValue()
                        + "); write the checkpoint elsewhere");
            }
        }
        TrainCheckpoint.requireReplaceable(o);
        Path parent = o.getParent();
        try {
            Files.createDirectories(parent);
            Path probe = Files.createDirectory(parent.resolve("." + o.getFileName() + ".probe-" + UUID.randomUUID()));
            Files.delete(probe);
        } catch (IOException e) {
            throw new IOException("--out " + out + ": cannot write a checkpoint into " + parent + " (" + Main.message(e) + ")", e);
        }
        for (Path p : new Path[]{o, o.resolve(TrainCheckpoint.MODEL_DIR)}) {
            if (Files.isDirectory(p) && !Files.isWritable(p)) {
                throw new IOException("--out " + out + ": " + p + " is not writable, so the checkpoint there cannot be replaced");
            }
        }
        for (String s : AtomicFolder.cleanStale(o)) log.println(name + ": removed " + s + ", left by a run that was killed");
    }

    /** The training data of a run: a streamed dataset or the synthetic set, with the position of the next batch. */
    static final class Data implements AutoCloseable {
        private final String source;
        private final DatasetLatents dataset;
        private final SyntheticLatents synthetic;
        private long position;

        private Data(String source, DatasetLatents dataset, SyntheticLatents synthetic, long position) {
            this.source = source;
            this.dataset = dataset;
            this.synthetic = synthetic;
            this.position = position;
        }

        /** The dataset, when the data is one (null for synthetic data). */
        DatasetLatents dataset() {
            return dataset;
        }

        String source() {
            return source;
        }

        /** Fills the batch of step {@code step} (synthetic batches are functions of the step, dataset batches of the position). */
        void batch(long step, float[] x0, int[] y) throws IOException {
            if (dataset != null) {
                dataset.batch(x0, y);
                position = dataset.position();
            } else {
                synthetic.batch(step, x0, y);
                position += y.length;
            }
        }

        /** What the checkpoint records: the source, the manifest's hash and the position of the next batch. */
        TrainData record() {
            return new TrainData(source, dataset != null ? dataset.manifestSha256() : null, position);
        }

        @Override
        public void close() throws IOException {
            if (dataset != null) dataset.close();
        }
    }

    /**
     * Opens the dataset named by {@code --data} (null: synthetic), before the model exists, so that a fresh model can
     * take its sizes from the manifest; null for synthetic data. With {@code resumed} (the checkpoint's record) the
     * source is the checkpoint's: a different {@code --data} is refused, and so is a dataset whose manifest changed.
     */
    static DatasetLatents openDataset(String data, TrainData resumed, Path resumeDir) throws IOException {
        String source = data;
        if (resumed != null) {
            if (data != null && !sameSource(data, resumed.source())) {
                throw new IllegalArgumentException("--data " + data + " differs from the data of checkpoint " + resumeDir
                        + " (" + resumed.source() + "); leave --data out to continue on it");
            }
            source = resumed.source();
        }
        if (source == null || TrainData.SYNTHETIC.equals(source)) return null;
        DatasetLatents ds = DatasetLatents.open(source);
        if (resumed != null && resumed.manifestSha256() != null && !resumed.manifestSha256().equals(ds.manifestSha256())) {
            ds.close();
            throw new IOException(ds.manifestPath() + " changed since checkpoint " + resumeDir + " was written (SHA-256 "
                    + ds.manifestSha256() + ", the checkpoint recorded " + resumed.manifestSha256() + ")");
        }
        return ds;
    }

    private static boolean sameSource(String a, String b) {
        Path pa = localFolder(a), pb = localFolder(b);
        if (pa != null && pb != null) return pa.equals(pb);
        return a.equals(b);
    }

    /** The run's data for {@code cfg}: {@code dataset} (already open, or null for synthetic) from {@code position}. */
    static Data data(DatasetLatents dataset, String data, DiTConfig cfg, long seed, long position) throws IOException {
        if (dataset != null) {
            dataset.requireFits(cfg);
            dataset.start(seed, position);
            String source = localFolder(data) != null ? localFolder(data).toString() : data;
            return new Data(source, dataset, null, position);
        }
        return new Data(TrainData.SYNTHETIC, null, new SyntheticLatents(cfg, seed), position);
    }

    /** What a run did. */
    record Result(long steps, long stepsThisRun, double firstLoss, double lastLoss, double seconds) {
        Map<String, Object> summary(Data data, Path out) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("data", data.source());
            m.put("steps", steps);
            m.put("steps_this_run", stepsThisRun);
            m.put("first_loss", firstLoss);
            m.put("last_loss", lastLoss);
            m.put("seconds", seconds);
            m.put("checkpoint", out.toAbsolutePath().toString());
            m.put("model_dir", out.resolve(TrainCheckpoint.MODEL_DIR).toAbsolutePath().toString());
            return m;
        }
    }

    /**
     * Trains until step {@code steps}, checkpointing into {@code out} every {@code opts.checkpointEvery} steps and at
     * the end; {@code extra} adds files to every checkpoint, {@code last} to the final one only. A non-finite loss or
     * gradient stops the run before anything is saved, so the last good checkpoint stays as it was.
     */
    static Result run(String name, Trainer trainer, Data data, long steps, Options opts, PrintWriter err,
                      AtomicFolder.Writer extra, AtomicFolder.Writer last) throws IOException {
        DiTConfig cfg = trainer.config();
        int perSample = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        float[] x0 = new float[opts.batch * perSample];
        int[] y = new int[opts.batch];
        long startStep = trainer.step();
        long saved = -1;
        double first = Double.NaN, lastLoss = Double.NaN, window = 0;
        int inWindow = 0;
        long t0 = System.nanoTime();
        while (trainer.step() < steps) {
            data.batch(trainer.step(), x0, y);
            Trainer.StepResult r = trainer.step(x0, y);
            if (!Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm())) {
                String kept = saved >= 0 ? "the last good checkpoint " + opts.out + " (step " + saved + ") is kept"
                        : TrainCheckpoint.isCheckpoint(opts.out) ? "the checkpoint in " + opts.out + " is kept as it was"
                        : "no checkpoint was written";
                throw new IllegalStateException((Double.isFinite(r.loss()) ? "gradient norm is " + r.gradNorm() : "loss is " + r.loss())
                        + " at step " + r.step() + " (terms " + r.terms() + "); " + kept
                        + ". Lower --lr or set --clip-norm.");
            }
            if (Double.isNaN(first)) first = r.loss();
            lastLoss = r.loss();
            window += r.loss();
            inWindow++;
            if (opts.logEvery > 0 && (r.step() % opts.logEvery == 0 || r.step() == steps)) {
                double perStep = (System.nanoTime() - t0) / 1e9 / (r.step() - startStep);
                err.println(progressLine(name, r, steps, window / inWindow, inWindow, perStep));
                err.flush();
                window = 0;
                inWindow = 0;
            }
            if (opts.checkpointEvery > 0 && r.step() % opts.checkpointEvery == 0 && r.step() < steps) {
                TrainCheckpoint.save(trainer, opts.out, data.record(), extra);
                saved = r.step();
                err.printf("%s: checkpoint %s (step %d)%n", name, opts.out, r.step());
            }
        }
        AtomicFolder.Writer both = tmp -> {
            if (extra != null) extra.writeInto(tmp);
            if (last != null) last.writeInto(tmp);
        };
        TrainCheckpoint.save(trainer, opts.out, data.record(), both);
        if (!Files.isDirectory(opts.out.resolve(TrainCheckpoint.MODEL_DIR))) throw new IllegalStateException("checkpoint not written");
        return new Result(trainer.step(), trainer.step() - startStep, first, lastLoss, (System.nanoTime() - t0) / 1e9);
    }

    /** One progress line: step, loss, the objective's terms (λ_t for the FLOPs target), gradient norm, s/step, ETA. */
    static String progressLine(String name, Trainer.StepResult r, long steps, double mean, int inWindow, double perStep) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s: step %d/%d  loss %.4f (mean of last %d: %.4f)",
                name, r.step(), steps, r.loss(), inWindow, mean));
        r.terms().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %s %.4f",
                org.dydit.train.DyDiTObjective.TARGET.equals(k) ? "λ_t" : k, v)));
        b.append(String.format(Locale.ROOT, "  |g| %.3g  %.3f s/step  ETA %s", r.gradNorm(), perStep,
                duration(perStep * (steps - r.step()))));
        return b.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    /** The data position of a checkpoint without a data record (written before positions were): step × batch. */
    static long legacyPosition(long step, int batch) {
        return step * batch;
    }

    static List<String> args(CommandSpec spec) {
        return spec.commandLine().getParseResult() == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
    }
}
