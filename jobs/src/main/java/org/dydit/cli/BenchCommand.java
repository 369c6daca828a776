package org.dydit.cli;

import org.dydit.bench.TrainBenchmark;
import org.dydit.model.DiTConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dydit bench}: performance benchmarks that print one JSON object. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that print one JSON object on stdout (progress goes to stderr).",
        subcommands = {BenchCommand.Train.class, BenchSpeedupCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing benchmark: train or speedup");
    }

    /** {@code dydit bench train}: training-step speed and memory against this machine's gemm peak. */
    @Command(name = "train", mixinStandardHelpOptions = true,
            description = {"Time training steps (forward, backward, optimizer, EMA) of a DiT at full size (--model, "
                    + "default DiT-S/2) and print "
                    + "gemm_gflops (best float32 2048x384x1536 gemm, the hardware reference), step_s (median), "
                    + "achieved_gflops (3 x forward FLOPs / step_s), mfu, peak_rss_gb (VmHWM), nd4j_offheap_peak_gb and, for the engine, "
                    + "seconds per step by phase.",
                    "The machine should be otherwise idle: load averages are reported."})
    static final class Train implements Callable<Integer> {
        /** Without --model: DiT-S/2. */
        @ArgGroup(exclusive = false, multiplicity = "0..1")
        ModelSource.Name model;

        @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Samples per step (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--engine", paramLabel = "E", defaultValue = "engine",
                description = "engine (the hand-written one, default) or samediff (the reference graph, sd.fit per step).")
        String engine;

        @Option(names = "--steps", paramLabel = "N", defaultValue = "5", description = "Measured steps, at least 5 (default ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Warm-up steps, at least 2 (default ${DEFAULT-VALUE}).")
        int warmup;

        @Mixin
        SeedOption seed;

        @Option(names = "--dydit", description = "Also time a DyDiT fine-tuning step (stage 2: routers, Gumbel noise, "
                + "FLOPs loss) of the same model and batch after the DiT step, and report both, their ratio "
                + "(dydit_step_over_dit) and the peak memory of each part.")
        boolean dydit;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            TrainBenchmark.Engine e;
            switch (engine.toLowerCase()) {
                case "engine" -> e = TrainBenchmark.Engine.ENGINE;
                case "samediff" -> e = TrainBenchmark.Engine.SAMEDIFF;
                default -> throw new IllegalArgumentException("--engine must be 'engine' or 'samediff', got '" + engine + "'");
            }
            if (steps < 5) throw new IllegalArgumentException("--steps must be at least 5, got " + steps);
            if (warmup < 2) throw new IllegalArgumentException("--warmup must be at least 2, got " + warmup);
            String name = model == null ? "DiT-S/2" : model.name;
            DiTConfig cfg = ModelSource.preset(name);
            var err = spec.commandLine().getErr();
            Map<String, Object> r = TrainBenchmark.run(cfg, batch, e, dydit, warmup, steps, seed.seed(), line -> {
                err.println("bench: " + line);
                err.flush();
            });
            r.put("model", name + " (" + r.get("model") + ")");
            spec.commandLine().getOut().println(Json.write(r));
            return Main.EXIT_OK;
        }
    }
}
