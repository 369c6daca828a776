package org.dydit.cli;

import org.dydit.model.DiTModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dydit import}: a weights file from elsewhere (the official DiT release, a training checkpoint of the
 * reference code, a diffusers safetensors) as a model folder, so that every command taking {@code --model-dir} can
 * start from it.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Write a model folder (config.json + model.safetensors with the reference key names) from a "
                + "PyTorch .pt checkpoint (bare state dict or training checkpoint, --weights ema|model) or a safetensors "
                + "state dict (reference or diffusers key names), with the sizes of --config. Prints a JSON summary."})
final class ImportCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "The weights file (.pt or .safetensors).")
    Path checkpoint;

    @Option(names = "--config", paramLabel = "FILE", description = "A config.json with the model's sizes (required: the weights files hold none).")
    Path config;

    @Option(names = "--weights", paramLabel = "ema|model", defaultValue = "ema",
            description = "Which weights of a training checkpoint: ema (default, as DiT's find_model) or model.")
    String weights;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "The model folder (absent, empty or a model folder; written to a temporary folder, then renamed).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DiTModel m = ModelSource.checkpointFile(checkpoint, config, weights, "--checkpoint");
        m.save(out);
        spec.commandLine().getErr().println("dydit import: wrote " + out);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("out", out.toString());
        r.put("from", checkpoint.toString());
        r.put("weights", weights);
        r.put("tensors", m.weights().size());
        r.put("config", m.config().toMap());
        spec.commandLine().getOut().println(Json.write(r));
        return Main.EXIT_OK;
    }
}
