package org.dydit.cli;

import org.dydit.diffusion.NoiseSchedule;
import org.dydit.prep.cli.Checks;
import org.dydit.sample.SampleGenerator;
import org.dydit.sample.TrajectoryFlops;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.FlopsReport;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dydit flops}: the itemised multiply-accumulates of one forward pass, as one JSON object. */
@Command(name = "flops", mixinStandardHelpOptions = true,
        description = {"Print the MACs (the papers' \"FLOPs\") of one forward pass of one sample as JSON: "
                + "total gmacs and the embeddings, per-block adaLN/attention/MLP and final layer itemised.",
                "The sizes come from a named model (--model) or a model folder's config.json (--model-dir), changed by "
                        + "the size options (--input-size, --depth, --width, ...).",
                "For a DyDiT model folder: the expected per-sample cost along real sampling trajectories (--steps, --n, "
                        + "--seed, --cfg): gmacs (static), gmacs_dynamic, flops_ratio (whole forward, routers included) and "
                        + "per_layer active heads and groups per step and token keep rate.",
                "1 MAC = 2 FLOPs."})
final class FlopsCommand implements Callable<Integer> {

    /** Exactly one of --model NAME and --model-dir DIR. */
    static final class Source {
        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Name named;

        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Folder folder;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Mixin
    ConfigOverrides overrides;

    @Option(names = "--steps", paramLabel = "K", defaultValue = "250",
            description = "DyDiT folder: sampling steps of the trajectories (respaced ancestral sampler, default 250).")
    int steps;

    @Option(names = "--n", paramLabel = "N", defaultValue = "16",
            description = "DyDiT folder: samples whose trajectories are costed (default 16).")
    int n;

    @Mixin
    SeedOption seed;

    @Option(names = "--cfg", paramLabel = "SCALE", defaultValue = "1.5",
            description = "DyDiT folder: classifier-free guidance scale (default 1.5, the FID setting; <= 1: none).")
    double cfgScale;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String name;
        DiTConfig c;
        if (source.named != null) {
            name = source.named.name;
            c = source.named.config();
        } else {
            name = source.folder.dir.toString();
            c = source.folder.config();
        }
        if (source.folder != null && c.dynamic()) {
            // the trajectories run as one batch of --n samples
            Checks.range(spec, "--steps", steps, 1, NoiseSchedule.DIT_TIMESTEPS,
                    "respaced steps of the " + NoiseSchedule.DIT_TIMESTEPS + "-step process");
            Checks.finiteAtLeast(spec, "--cfg", cfgScale, 0);
            Checks.range(spec, "--n", n, 1, SampleGenerator.maxBatch(c, cfgScale),
                    "the trajectories run as one batch, whose largest array must stay below 2^31 bytes");
            // a DyDiT's cost depends on its routers' decisions: measure it along real sampler trajectories
            overrides.requireNone("size options do not apply to a DyDiT folder (" + source.folder.dir
                    + "): its cost is measured with its own weights");
            PrintWriter log = spec.commandLine().getErr();
            DiTModel model = source.folder.load();
            long t0 = System.nanoTime();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", name);
            r.putAll(TrajectoryFlops.run(model, steps, n, seed.seed(), cfgScale, (done, total) -> {
                if (done == total || done % Math.max(1, total / 10) == 0) {
                    log.printf(java.util.Locale.ROOT, "dydit flops: step %d/%d (%.1f s)%n", done, total, (System.nanoTime() - t0) / 1e9);
                    log.flush();
                }
            }));
            spec.commandLine().getOut().println(Json.write(r));
            return Main.EXIT_OK;
        }
        c = overrides.apply(c);
        if (overrides.reshapes()) name = name + " (custom)";
        spec.commandLine().getOut().println(Json.write(FlopsReport.of(name, c)));
        return Main.EXIT_OK;
    }
}
