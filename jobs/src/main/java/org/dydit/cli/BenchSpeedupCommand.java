package org.dydit.cli;

import org.dydit.bench.RouterRecipe;
import org.dydit.bench.SpeedupBenchmark;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import picocli.CommandLine.Command;
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
                "Without --model-dir the model is the named size with the committed router recipe "
                        + "(docs/performance.md) aimed at --lambda. The machine should be otherwise idle: load averages are reported."})
final class BenchSpeedupCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "NAME", defaultValue = "DiT-S/2",
            description = "Model size for the router recipe, DiT-{S,B,L,XL}/{2,4,8} (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "A fine-tuned DyDiT model folder to time instead of the recipe model.")
    Path modelDir;

    @Option(names = "--lambda", paramLabel = "L", defaultValue = "0.5",
            description = "Target FLOPs ratio of the recipe (default ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Samples per forward (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3", description = "Timed repeats, at least 1 (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the recipe weights, noise and labels.")
    long seed;

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
        if (modelDir != null) {
            m = DiTModel.load(modelDir);
            if (!m.config().dynamic()) {
                throw new IllegalArgumentException("model folder " + modelDir + " holds a DiT (\"dynamic\": false), not a DyDiT");
            }
            note = "DyDiT from " + modelDir.toAbsolutePath();
        } else {
            DiTConfig cfg = DiTConfig.preset(model).withDynamic(true);
            log.accept("building " + model + " with the router recipe for lambda " + lambda);
            m = RouterRecipe.build(cfg, lambda, timesteps, seed, log);
            if (saveModel != null) m.save(saveModel);
            note = "Dy" + (model.startsWith("Dy") ? model.substring(2) : model) + ", router recipe (seed " + seed + ")";
        }
        Map<String, Object> r = SpeedupBenchmark.run(m, note, lambda, batch, repeats, timesteps, seed, log);
        spec.commandLine().getOut().println(Json.write(r));
        return Main.EXIT_OK;
    }
}
