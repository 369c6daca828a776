package org.dydit.cli;

import org.dydit.bench.BenchmarkSupport;
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
                + "float32 2048x384x1536 gemm). At a batch above 1 the same inputs' first sample is timed at batch 1 "
                + "too (speedup_batch1). Every repeat's times, phases, allocated MB and JIT time are in the JSON "
                + "(*_all); vector_boxing_suspected flags a run whose kernels allocated like out-of-line vector code.",
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

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "" + SpeedupBenchmark.DEFAULT_REPEATS,
            description = "Timed repeats, at least 1 (default ${DEFAULT-VALUE}); the speedup is their median.")
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
        double recipeS = 0, recipeCpuS = 0;
        if (folder != null) {
            m = folder.loadDyDiT();
            note = "DyDiT from " + folder.dir.toAbsolutePath();
        } else {
            String name = model == null ? "DiT-S/2" : model.name;
            DiTConfig cfg = ModelSource.preset(name).withDynamic(true);
            log.accept("building " + name + " with the router recipe for lambda " + lambda);
            long t0 = System.nanoTime();
            double c0 = BenchmarkSupport.processCpuSeconds();
            m = RouterRecipe.build(cfg, lambda, timesteps, seed.seed(), log);
            recipeS = (System.nanoTime() - t0) / 1e9;
            recipeCpuS = BenchmarkSupport.processCpuSeconds() - c0;
            if (saveModel != null) m.save(saveModel);
            String dyName = name.startsWith("Dy") ? name : name.startsWith("DiT") ? "Dy" + name : "DyDiT " + name;
            note = dyName + ", router recipe (seed " + seed.seed() + ")";
        }
        Map<String, Object> r = SpeedupBenchmark.run(m, note, lambda, batch, repeats, timesteps, seed.seed(), log);
        if (folder == null) {   // the recipe model's build, before the benchmark's own run_s
            r.put("recipe_s", BenchmarkSupport.round(recipeS, 1));
            r.put("recipe_cpu_s", BenchmarkSupport.round(recipeCpuS, 1));
        }
        spec.commandLine().getOut().println(Json.write(r));
        return Main.EXIT_OK;
    }
}
