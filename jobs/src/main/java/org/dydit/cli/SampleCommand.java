package org.dydit.cli;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.diffusion.NoiseSchedule;
import org.dydit.formats.AtomicFolder;
import org.dydit.model.DiTConfig;
import org.dydit.prep.cli.Checks;
import org.dydit.sample.SampleGenerator;
import org.dydit.model.DiTModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dydit sample}: class-conditional samples of a model folder on the inference engine, single process. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = {"Draw N class-conditional samples on the inference engine (a DyDiT runs dynamically: only its "
                + "active heads, channel groups and tokens are computed) and write %%06d.png per sample and an "
                + "ADM-style samples.npz (arr_0, uint8, N x H x W x 3) into --out.",
                "Sample i's noise and label depend only on (--seed, i): the same samples come out whatever --batch. "
                        + "Pixel-space models only (1 or 3 channels; a 1-channel model writes greyscale PNGs and repeats "
                        + "the grey value in arr_0's R, G, B). Prints a JSON summary."})
final class SampleCommand implements Callable<Integer> {
    @Mixin
    ModelSource.Folder model;

    @Option(names = "--n", paramLabel = "N", required = true, description = "Number of samples.")
    int n;

    @Option(names = "--steps", paramLabel = "K", defaultValue = "250", description = "Sampling steps (respaced; default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--cfg", paramLabel = "S", defaultValue = "1.5",
            description = "Classifier-free guidance scale, used when > 1 (default ${DEFAULT-VALUE}).")
    double cfg;

    @Mixin
    SeedOption seed;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Output folder, written whole and then swapped in; an earlier run's folder is replaced, a "
                    + "folder holding other files is refused.")
    Path out;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "32", description = "Samples per forward batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--sampler", paramLabel = "ddpm|ddim", defaultValue = "ddpm", description = "ddpm (ancestral, default) or ddim.")
    String sampler;

    @Option(names = "--eta", defaultValue = "0", description = "DDIM eta (default ${DEFAULT-VALUE}).")
    double eta;

    @Option(names = "--labels", paramLabel = "Y[,Y...]", split = ",",
            description = "Class labels: one for every sample, or one per sample (default: drawn from seed and index).")
    List<Integer> labels;

    @Option(names = "--static", description = "Run a DyDiT at full width with every token (its complete model).")
    boolean full;

    @Spec
    CommandSpec spec;

    /** What a sample folder holds: the PNGs and the npz of one run, so an earlier run's folder may be replaced. */
    static boolean sampleFile(String name) {
        return name.equals("samples.npz") || name.matches("[0-9]{6,}\\.png");
    }

    @Override
    public Integer call() throws Exception {
        // the command line first (exit 2), before the model is read
        SampleGenerator.Sampler kind = SampleGenerator.Sampler.valueOf(
                Checks.choice(spec, "--sampler", sampler.toLowerCase(Locale.ROOT), "ddpm", "ddim").toUpperCase(Locale.ROOT));
        Checks.atLeast(spec, "--n", n, 1);
        Checks.range(spec, "--steps", steps, 2, NoiseSchedule.DIT_TIMESTEPS,
                "respaced steps of the " + NoiseSchedule.DIT_TIMESTEPS + "-step process");
        Checks.finiteAtLeast(spec, "--cfg", cfg, 0);
        Checks.atLeast(spec, "--batch", batch, 1);
        Checks.finiteAtLeast(spec, "--eta", eta, 0);
        DiTConfig c = model.config();
        int maxBatch = SampleGenerator.maxBatch(c, cfg);
        if (Math.min(batch, n) > maxBatch) {
            throw new ParameterException(spec.commandLine(), "--batch " + Math.min(batch, n) + " (the samples of one forward"
                    + " batch) must be at most " + maxBatch + " for this model: one batch's largest array must stay below 2^31 bytes");
        }
        int[] ys = labels == null ? null : labels.stream().mapToInt(Integer::intValue).toArray();
        if (ys != null) {
            if (ys.length != 1 && ys.length != n) {
                throw new ParameterException(spec.commandLine(), "--labels: give one label or one per sample (" + n
                        + "), got " + ys.length);
            }
            for (int y : ys) Checks.range(spec, "--labels", y, 0, c.numClasses() - 1, "the model's classes");
        }
        SampleGenerator.Settings s = new SampleGenerator.Settings(n, steps, cfg, seed.seed(), batch, kind, eta, ys);
        // the folder is written whole under a temporary name and swapped in: no earlier run's PNG stays beside the new
        // npz, and a failed run leaves the old folder as it was; a folder holding anything else is refused
        AtomicFolder.requireReplaceable(out, "a sample folder (NNNNNN.png, samples.npz)", SampleCommand::sampleFile);
        DiTModel m = model.load();
        DynamicEngine.Mode mode = m.config().dynamic() && !full ? DynamicEngine.Mode.DYNAMIC : DynamicEngine.Mode.STATIC;
        var err = spec.commandLine().getErr();
        SampleGenerator.Result[] result = new SampleGenerator.Result[1];
        try (DynamicEngine e = new DynamicEngine(m, mode)) {
            AtomicFolder.replace(out, tmp -> result[0] = SampleGenerator.run(e, s, 0, n, tmp, line -> {
                err.println("sample: " + line);
                err.flush();
            }));
        }
        SampleGenerator.Result r = result[0];
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("samples", r.samples());
        j.put("out", out.toAbsolutePath().toString());
        j.put("npz", out.resolve(r.npz().getFileName()).toAbsolutePath().toString());
        j.put("engine", mode.name().toLowerCase(Locale.ROOT));
        j.put("sampler", kind.name().toLowerCase(Locale.ROOT) + steps);
        j.put("cfg", cfg);
        j.put("seed", seed.seed());
        j.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
        j.put("mean_flops_ratio", Math.round(r.meanFlopsRatio() * 10000) / 10000.0);
        spec.commandLine().getOut().println(Json.write(j));
        return Main.EXIT_OK;
    }
}
