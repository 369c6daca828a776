package org.dydit.cli;

import org.dydit.model.DyDiTForward;
import org.dydit.model.DyDiTOutput;
import org.dydit.formats.AtomicFile;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTModel;
import org.dydit.model.NdTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dydit forward}: runs a model on the inputs of a safetensors cases file and writes its outputs,
 * so a user can check an imported checkpoint against the reference implementation's outputs.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Run the DiT forward pass on inputs x, t, y (and classifier-free guidance inputs "
                + "cfg_x, cfg_t, cfg_y, cfg_scale when present) read from a safetensors file;",
                "write out (and cfg_out) as F32 safetensors to --out. For a DyDiT (\"dynamic\": true) out is the dynamic "
                        + "output and attn_mask (B,L,H), mlp_mask (B,L,H), token_mask (B,L,T,1) and complete_out are added."})
final class ForwardCommand implements Callable<Integer> {

    static final List<String> CFG_KEYS = List.of("cfg_x", "cfg_t", "cfg_y", "cfg_scale");

    /** A PyTorch checkpoint with the config.json of its sizes. */
    static final class CheckpointSource {
        @Option(names = "--checkpoint", paramLabel = "FILE", required = true,
                description = "PyTorch checkpoint (.pt) written by torch.save: a bare state dict or a training checkpoint.")
        Path checkpoint;

        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.ConfigFile config;

        @Option(names = "--weights", paramLabel = "ema|model", defaultValue = "ema",
                description = "Which weights of a training checkpoint: ema (default, as DiT's find_model) or model.")
        String weights;
    }

    /** A model folder, or a checkpoint and its config. */
    static final class Source {
        @ArgGroup(exclusive = false, multiplicity = "1")
        ModelSource.Folder folder;

        @ArgGroup(exclusive = false, multiplicity = "1")
        CheckpointSource checkpoint;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--cases", paramLabel = "FILE", required = true,
            description = "safetensors file with x (B,C,H,W), t (B), y (B) [, cfg_x, cfg_t, cfg_y, cfg_scale].")
    Path cases;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "Output safetensors file (written atomically).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        refuseOverwritingAnInput();
        PrintWriter log = spec.commandLine().getErr();
        long start = System.nanoTime();
        DiTModel model;
        String modelName;
        if (source.folder != null) {
            modelName = source.folder.dir.toString();
            model = source.folder.load();
        } else {
            CheckpointSource c = source.checkpoint;
            if (!c.weights.equals("ema") && !c.weights.equals("model")) {
                throw new IllegalArgumentException("--weights must be ema or model, got '" + c.weights + "'");
            }
            modelName = c.checkpoint + " (" + c.weights + ")";
            model = DiTModel.loadCheckpoint(c.checkpoint, c.config.file, c.weights);
        }
        log.println("dydit forward: loaded " + modelName + " in " + seconds(start) + " s");

        Map<String, Tensor> outputs = new LinkedHashMap<>();
        try (SafeTensors in = SafeTensors.open(cases)) {
            INDArray x = NdTensors.toNd(in.get("x"), DataType.FLOAT);
            INDArray t = NdTensors.toNd(in.get("t"), DataType.FLOAT);
            INDArray y = NdTensors.toNd(in.get("y"), DataType.INT64);
            if (model.config().dynamic()) {
                // a DyDiT: the dynamic output with its masks, laid out as the reference's, and the complete model's
                DyDiTForward dy = new DyDiTForward(model);
                DyDiTOutput o = inCases(() -> dy.forward(x, t, y));
                outputs.put("out", NdTensors.toTensor(o.out()));
                outputs.put("attn_mask", NdTensors.toTensor(o.attnMask().castTo(DataType.FLOAT)));
                outputs.put("mlp_mask", NdTensors.toTensor(o.mlpMask().castTo(DataType.FLOAT)));
                outputs.put("token_mask", NdTensors.toTensor(o.tokenMask().castTo(DataType.FLOAT)));
                outputs.put("complete_out", NdTensors.toTensor(dy.complete(x, t, y)));
            } else {
                outputs.put("out", NdTensors.toTensor(inCases(() -> model.forward(x, t, y))));
            }
            log.println("dydit forward: out " + shape(outputs.get("out")) + " after " + seconds(start) + " s");

            List<String> present = new ArrayList<>();
            for (String k : CFG_KEYS) if (in.contains(k)) present.add(k);
            if (!present.isEmpty()) {
                for (String k : CFG_KEYS) {
                    if (!in.contains(k)) {
                        throw new IOException("cases file " + cases + " has " + String.join(", ", present)
                                + " but no '" + k + "': classifier-free guidance needs all of " + CFG_KEYS);
                    }
                }
                double[] scale = in.get("cfg_scale").toDoubles();
                if (scale.length != 1) {
                    throw new IOException("cases file " + cases + ": key 'cfg_scale' must hold one value, it holds " + scale.length);
                }
                INDArray cx = NdTensors.toNd(in.get("cfg_x"), DataType.FLOAT);
                INDArray ct = NdTensors.toNd(in.get("cfg_t"), DataType.FLOAT);
                INDArray cy = NdTensors.toNd(in.get("cfg_y"), DataType.INT64);
                if (cx.size(0) % 2 != 0) {
                    throw new IOException("cases file " + cases + ": key 'cfg_x' needs an even batch "
                            + "(conditional half, then unconditional half), got " + cx.size(0));
                }
                outputs.put("cfg_out", NdTensors.toTensor(inCases(() -> model.config().dynamic()
                        ? new DyDiTForward(model).forwardWithCfg(cx, ct, cy, scale[0]).out()
                        : model.forwardWithCfg(cx, ct, cy, scale[0]))));
                log.println("dydit forward: cfg_out " + shape(outputs.get("cfg_out")) + " after " + seconds(start) + " s");
            }
        }

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("producer", "dydit forward");
        meta.put("model", modelName);
        meta.put("cases", cases.toString());
        SafeTensorsWriter.write(out, outputs, meta);

        Map<String, Object> report = new LinkedHashMap<>();
        report.put("out", out.toString());
        Map<String, Object> shapes = new LinkedHashMap<>();
        outputs.forEach((k, v) -> shapes.put(k, v.shape()));
        report.put("tensors", shapes);
        report.put("model", modelName);
        report.put("config", model.config().toMap());
        report.put("seconds", Double.parseDouble(seconds(start)));
        spec.commandLine().getOut().println(Json.write(report));
        return Main.EXIT_OK;
    }

    /** --out must not be one of the files read (the cases, the weights, the config), by any path or link. */
    private void refuseOverwritingAnInput() throws IOException {
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("--cases", cases);
        if (source.folder != null) {
            inputs.put("--model-dir", source.folder.dir);
            inputs.put("--model-dir's " + DiTModel.WEIGHTS_FILE, source.folder.dir.resolve(DiTModel.WEIGHTS_FILE));
            inputs.put("--model-dir's " + DiTModel.CONFIG_FILE, source.folder.dir.resolve(DiTModel.CONFIG_FILE));
        } else {
            inputs.put("--checkpoint", source.checkpoint.checkpoint);
            inputs.put("--config", source.checkpoint.config.file);
        }
        for (Map.Entry<String, Path> in : inputs.entrySet()) {
            if (AtomicFile.sameFile(out, in.getValue())) {
                throw new ParameterException(spec.commandLine(), "--out " + out + " is " + in.getKey() + " " + in.getValue()
                        + ": the output would replace an input; write it to another file");
            }
        }
    }

    /** Names the cases file in a shape/label error raised by the model. */
    private <T> T inCases(java.util.function.Supplier<T> run) {
        try {
            return run.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cases file " + cases + ": " + e.getMessage(), e);
        }
    }

    private static String shape(Tensor t) {
        return java.util.Arrays.toString(t.shape());
    }

    private static String seconds(long start) {
        return String.format(java.util.Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9);
    }
}
