package org.dydit.cli;

import org.dydit.model.DiTConfig;
import org.dydit.model.flops.FlopsReport;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code dydit flops}: the itemised multiply-accumulates of one forward pass, as one JSON object. */
@Command(name = "flops", mixinStandardHelpOptions = true,
        description = {"Print the MACs (the papers' \"FLOPs\") of one forward pass of one sample as JSON: "
                + "total gmacs and the embeddings, per-block adaLN/attention/MLP and final layer itemised.",
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
        spec.commandLine().getOut().println(Json.write(FlopsReport.of(name, c)));
        return Main.EXIT_OK;
    }
}
