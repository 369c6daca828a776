package org.dydit.cli;

import org.dydit.conversion.DyDiTConversion;
import org.dydit.model.DiTModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dydit convert --to-dydit}: a DiT model folder as the starting point of DyDiT fine-tuning: the same weights
 * (by default permuted into importance order, which keeps the function) plus routers with the paper's
 * initialisation, written as a new model folder with {@code "dynamic": true}.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a DiT model folder into a DyDiT model folder: routers with the paper's initialisation "
                + "(width-router biases 15, token-router bias 35: every head, group and token active, so the DyDiT "
                + "computes the DiT's output), heads and MLP channel groups in importance order by default.",
                "--model-dir is the DiT's folder; the routers' xavier weights are drawn from --seed. Prints a JSON summary."})
final class ConvertCommand implements Callable<Integer> {

    @Option(names = "--to-dydit", required = true, description = "Convert to a DyDiT (the only conversion so far).")
    boolean toDyDiT;

    @Mixin
    ModelSource.Folder model;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "The new model folder (written to a temporary folder, then renamed into place).")
    Path out;

    @Mixin
    SeedOption seed;

    @Option(names = "--importance-order", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Permute each block's heads and MLP channel groups, most important first (default; "
                    + "--no-importance-order keeps the DiT's order).")
    boolean importanceOrder;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        if (org.dydit.formats.AtomicFile.sameFile(model.dir, out)) {
            throw new IllegalArgumentException("--out must differ from --model-dir (" + model.dir + "): the DiT folder is kept as it is");
        }
        DiTModel dit = model.loadDiT();
        DiTModel dy = DyDiTConversion.toDyDiT(dit, seed.seed(), importanceOrder);
        dy.save(out);
        log.println("dydit convert: wrote " + out);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("out", out.toString());
        r.put("from", model.dir.toString());
        r.put("importance_order", importanceOrder);
        r.put("seed", seed.seed());
        r.put("config", dy.config().toMap());
        spec.commandLine().getOut().println(Json.write(r));
        return Main.EXIT_OK;
    }
}
