package org.dydit.cli;

import org.dydit.bench.RouterRecipe;
import org.dydit.bench.SpeedupBenchmark;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dydit bench speedup}: dynamic against static sampling speed of a DyDiT on the inference engine. */
@Command(name = "speedup", mixinStandardHelpOptions = true,
        description = {"Time DDPM-250 sampling steps (every 25th, no guidance, on the inputs of one whole chain sampled with the "
                + "dynamic model) of a DyDiT on the inference engine, "
                + "dynamic against static (same engine at full width, every token), in one process, repeated; print "
                + "flops_ratio (dynamic/static MACs of the decisions taken, routers included), speedup (median), "
                + "efficiency = speedup x flops_ratio and static_fraction_of_peak (static GFLOP/s over the best "
                + "float32 2048x384x1536 gemm).",
                "--model-dir names a fine-tuned DyDiT folder to time. Without it the model is the named size (--model, "
                        + "default DiT-S/2) with the committed router recipe (docs/performance.md) aimed at --lambda, "
                        + "its weights drawn from --seed. The machine should be otherwise idle: load averages are reported."})
final class BenchSpeedupCommand implements Callable<Integer> {
    /** The size of the recipe model; without --model: DiT-S/2. */
    @ArgGroup(exclusive = false, multiplicity = "0..1")
    ModelSource.Name model;

    /** A fine-tuned DyDiT to time instead of the recipe model. */
    @ArgGroup(exclusive = false, multiplicity = "0..1")
    ModelSource.Folder folder;

    @Option(names = "--lambda", paramLabel = "L", defaultValue = "0.5",
            description = "Target FLOPs ratio of the recipe (default ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Samples per forward (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3", description = "Timed repeats, at least 1 (default ${DEFAULT-VALUE}).")
    int repeats;

    @Mixin
    SeedOption seed;

    @Option(names = "--save-model", paramLabel = "DIR", description = "Also write the recipe model as a model folder.")
    Path saveModel;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        if (batch < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        var err = spec.commandLine().getErr();
        java.util.function.Consumer<String> log = line -> {
            err.println("bench: " + line);
            err.flush();
        };
        int[] timesteps = SpeedupBenchmark.timedTimesteps(250, 25);
        DiTModel m;
        String note;
        if (folder != null) {
            m = folder.loadDyDiT();
            note = "DyDiT from " + folder.dir.toAbsolutePath();
        } else {
            String name = model == null ? "DiT-S/2" : model.name;
            DiTConfig cfg = ModelSource.preset(name).withDynamic(true);
            log.accept("building " + name + " with the router recipe for lambda " + lambda);
            m = RouterRecipe.build(cfg, lambda, timesteps, seed.seed(), log);
            if (saveModel != null) m.save(saveModel);
            String dyName = name.startsWith("Dy") ? name : name.startsWith("DiT") ? "Dy" + name : "DyDiT " + name;
            note = dyName + ", router recipe (seed " + seed.seed() + ")";
        }
        Map<String, Object> r = SpeedupBenchmark.run(m, note, lambda, batch, repeats, timesteps, seed.seed(), log);
        spec.commandLine().getOut().println(Json.write(r));
        return Main.EXIT_OK;
    }
}
