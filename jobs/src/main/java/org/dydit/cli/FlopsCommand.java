package org.dydit.cli;

import org.dydit.sample.TrajectoryFlops;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.FlopsReport;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code dydit flops}: the itemised multiply-accumulates of one forward pass, as one JSON object. */
@Command(name = "flops", mixinStandardHelpOptions = true,
        description = {"Print the MACs (the papers' \"FLOPs\") of one forward pass of one sample as JSON: "
                + "total gmacs and the embeddings, per-block adaLN/attention/MLP and final layer itemised.",
                "For a DyDiT model folder: the expected per-sample cost along real sampling trajectories (--steps, --n, "
                        + "--seed, --cfg): gmacs (static), gmacs_dynamic, flops_ratio (whole forward, routers included) and "
                        + "per_layer active heads and groups per step and token keep rate.",
                "1 MAC = 2 FLOPs."})
final class FlopsCommand implements Callable<Integer> {

    static final class Source {
        @Option(names = "--model", paramLabel = "NAME",
                description = "A named model, DiT-{S,B,L,XL}/{2,4,8} (ImageNet 256x256: latent side 32, 4 channels).")
        String model;

        @Option(names = "--model-dir", paramLabel = "DIR", description = "A model folder; its config.json gives the sizes.")
        Path modelDir;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--input-size", paramLabel = "N", description = "Latent side (image side / 8), as input_size in config.json.")
    Integer inputSize;

    @Option(names = "--in-channels", paramLabel = "C", description = "Input channels.")
    Integer inChannels;

    @Option(names = "--patch-size", paramLabel = "P")
    Integer patchSize;

    @Option(names = "--depth", paramLabel = "L", description = "Number of blocks.")
    Integer depth;

    @Option(names = "--hidden-size", paramLabel = "D")
    Integer hiddenSize;

    @Option(names = "--num-heads", paramLabel = "H")
    Integer numHeads;

    @Option(names = "--mlp-ratio", paramLabel = "R")
    Double mlpRatio;

    @Option(names = "--steps", paramLabel = "K", defaultValue = "250",
            description = "DyDiT folder: sampling steps of the trajectories (respaced ancestral sampler, default 250).")
    int steps;

    @Option(names = "--n", paramLabel = "N", defaultValue = "16",
            description = "DyDiT folder: samples whose trajectories are costed (default 16).")
    int n;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "DyDiT folder: seed of noise and labels (default 0).")
    long seed;

    @Option(names = "--cfg", paramLabel = "SCALE", defaultValue = "1.5",
            description = "DyDiT folder: classifier-free guidance scale (default 1.5, the FID setting; <= 1: none).")
    double cfgScale;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String name;
        DiTConfig c;
        if (source.model != null) {
            name = source.model;
            c = DiTConfig.preset(source.model);
        } else {
            Path file = source.modelDir.resolve("config.json");
            if (!Files.isRegularFile(file)) {
                throw new java.io.FileNotFoundException("model folder " + source.modelDir + " has no config.json");
            }
            c = DiTConfig.read(file);
            name = source.modelDir.toString();
        }
        boolean custom = patchSize != null || depth != null || hiddenSize != null || numHeads != null || mlpRatio != null;
        c = new DiTConfig(
                inputSize != null ? inputSize : c.inputSize(),
                patchSize != null ? patchSize : c.patchSize(),
                inChannels != null ? inChannels : c.inChannels(),
                hiddenSize != null ? hiddenSize : c.hiddenSize(),
                depth != null ? depth : c.depth(),
                numHeads != null ? numHeads : c.numHeads(),
                c.numClasses(), c.learnSigma(), c.classDropoutProb(),
                mlpRatio != null ? mlpRatio : c.mlpRatio(),
                c.dynamic());
        if (custom && name != null) name = name + " (custom)";
        if (source.modelDir != null && c.dynamic()) {
            // a DyDiT's cost depends on its routers' decisions: measure it along real sampler trajectories
            if (custom || inputSize != null || inChannels != null) {
                throw new IllegalArgumentException("size options do not apply to a DyDiT folder (" + source.modelDir
                        + "): its cost is measured with its own weights");
            }
            PrintWriter log = spec.commandLine().getErr();
            DiTModel model = DiTModel.load(source.modelDir);
            long t0 = System.nanoTime();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", name);
            r.putAll(TrajectoryFlops.run(model, steps, n, seed, cfgScale, (done, total) -> {
                if (done == total || done % Math.max(1, total / 10) == 0) {
                    log.printf(java.util.Locale.ROOT, "dydit flops: step %d/%d (%.1f s)%n", done, total, (System.nanoTime() - t0) / 1e9);
                    log.flush();
                }
            }));
            spec.commandLine().getOut().println(Json.write(r));
            return Main.EXIT_OK;
        }
        spec.commandLine().getOut().println(Json.write(FlopsReport.of(name, c)));
        return Main.EXIT_OK;
    }
}
