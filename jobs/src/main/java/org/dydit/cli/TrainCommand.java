package org.dydit.cli;

import org.dydit.engine.DiTParams;
import org.dydit.train.SyntheticLatents;
import org.dydit.train.DyDiTObjective;
import org.dydit.train.TrainCheckpoint;
import org.dydit.train.TrainCheckpoint.TrainData;
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
 * streamed from its files ({@link DatasetLatents}) or on the synthetic in-memory class-conditional set
 * ({@link SyntheticLatents}), through the loop {@link TrainingRun} shares with {@code finetune}. Checkpoints are
 * folders: {@code model/} (EMA weights, a model folder) plus the training state with the data position.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a DiT in this process on the hand-written engine (AdamW, gradient clipping, EMA) and "
                + "write checkpoints (model/ with the EMA weights + train_state.*). Prints a JSON summary on stdout; "
                + "progress goes to stderr.",
                "Model: a fresh paper-initialised one of a named size (--model) or of a config.json (--config), "
                        + "changed by the size options (--depth, --width, ...); the weights of a model folder "
                        + "(--model-dir); or a training checkpoint to continue (--resume).",
                "Data: a dataset folder written by 'dydit prep' (--data DIR, streamed; a fresh model takes "
                        + "in_channels, input_size and num_classes from its manifest unless given) or a synthetic in-memory "
                        + "class-conditional latent set (--data synthetic, the default). --resume continues on the "
                        + "checkpoint's data, at the record where it stopped.",
                "A DyDiT folder or checkpoint is refused: fine-tune DyDiTs with 'dydit finetune'."})
final class TrainCommand implements Callable<Integer> {

    /** Exactly one of: a fresh model (--model or --config), the weights of --model-dir, or --resume. */
    static final class Start {
        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Name named;

        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.ConfigFile config;

        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Folder folder;

        @Option(names = "--resume", paramLabel = "DIR", required = true, description = "Continue from this DiT training checkpoint folder (its optimizer settings and data come with it).")
        Path resume;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Start start;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "100",
            description = "Train until this step count, >= 1 and not below a resumed checkpoint's step (default ${DEFAULT-VALUE}).")
    long steps;

    @Mixin
    TrainingRun.Options run;

    /** AdamW, clipping and EMA; each defaults to DiT's recipe (lr 1e-4, no clipping, EMA 0.9999). */
    @Mixin
    OptimizerOptions optimizer;

    @Mixin
    SeedOption seed;

    /** Sizes of a fresh model (--model or --config); with --data, channels, size and classes default to the dataset's. */
    @Mixin
    ConfigOverrides overrides;

    @Spec
    CommandSpec spec;

    /** The fresh model's config: the dataset's channels, size and classes when training on one, then the overrides. */
    private DiTConfig fresh(DiTConfig c, DatasetLatents ds) {
        if (ds == null) return overrides.apply(c);
        return overrides.applyForData(c, ds.manifest().shape[0], ds.manifest().shape[1], ds.manifest().numClasses);
    }

    @Override
    public Integer call() throws Exception {
        run.validate(spec, steps);
        PrintWriter err = spec.commandLine().getErr();
        if (start.resume != null || start.folder != null) {
            overrides.requireNone("the size options shape a fresh model (--model or --config), not --model-dir or --resume");
        }
        if (start.resume != null) {
            optimizer.requireNone(spec, "the optimizer settings of --resume come from its checkpoint " + start.resume);
        }
        TrainData resumed = null;
        if (start.resume != null) {
            resumed = TrainCheckpoint.data(start.resume);
            if (resumed == null && run.data == null) {
                err.printf("train: checkpoint %s records no data source (an older checkpoint): training on synthetic data; "
                        + "give --data to continue on a dataset%n", start.resume);
            }
        }
        if (start.folder != null && start.folder.config().dynamic()) {
            throw new IllegalArgumentException("model folder " + start.folder.dir + " holds a DyDiT (\"dynamic\": true in "
                    + DiTModel.CONFIG_FILE + "); 'train' trains DiTs: fine-tune a DyDiT with 'dydit finetune --init "
                    + start.folder.dir + "'");
        }
        String dataArg = run.data;
        try (DatasetLatents dataset = TrainingRun.openDataset(dataArg, resumed, start.resume)) {
            if (dataset != null) {
                err.printf("train: data %s: %d records of shape %s, %d classes%n", dataset.manifestPath(), dataset.size(),
                        java.util.Arrays.toString(dataset.manifest().shape), dataset.manifest().numClasses);
            }
            Map<String, Path> inputs = new LinkedHashMap<>();
            inputs.put("the training dataset", TrainingRun.localFolder(resumed != null && dataArg == null ? resumed.source() : dataArg));
            inputs.put("--model-dir", start.folder != null ? start.folder.dir : null);
            TrainingRun.prepareOut(run.out, inputs, err, "train");
            Trainer tr;
            if (start.resume != null) {
                tr = TrainCheckpoint.load(start.resume);
                err.printf("train: resumed %s at step %d%n", start.resume, tr.step());
            } else {
                DiTModel m;
                if (start.folder != null) {
                    m = start.folder.loadDiT();
                } else {
                    DiTConfig cfg = fresh(start.config != null ? start.config.read() : start.named.config(), dataset);
                    m = DiTModel.init(cfg, seed.seed());
                }
                TrainerSettings s = optimizer.apply(TrainerSettings.dit(seed.seed()), spec);
                tr = Trainer.dit(DiTParams.of(m.config(), m.weights(), DataType.FLOAT), s);
            }
            try (Trainer trainer = tr) {
                if (start.resume != null && trainer.objective() instanceof DyDiTObjective) {
                    throw new IllegalArgumentException("checkpoint " + start.resume + " is a DyDiT fine-tuning; continue it with "
                            + "'dydit finetune --resume " + start.resume + "'");
                }
                if (steps < trainer.step()) {
                    throw new IllegalArgumentException("--steps " + steps + " is below step " + trainer.step() + " of checkpoint "
                            + start.resume + ": give the step count to train until, at least " + trainer.step());
                }
                long position = resumed != null ? resumed.position() : TrainingRun.legacyPosition(trainer.step(), run.batch);
                try (TrainingRun.Data data = TrainingRun.data(dataset, dataset != null ? (dataArg != null ? dataArg : resumed.source()) : null,
                        trainer.config(), trainer.settings().seed(), position)) {
                    TrainingRun.Result r = TrainingRun.run("train", trainer, data, steps, run, err, null, null);
                    spec.commandLine().getOut().println(Json.write(r.summary(data, run.out)));
                }
            }
        }
        return Main.EXIT_OK;
    }
}
