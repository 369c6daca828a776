package org.dydit.prep.cli;

import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.job.NpyImportJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;

/** {@code dydit prep import-npy}: fast-DiT's extracted VAE latents ({@code i.npy} pairs) to records. */
@Command(name = "import-npy", mixinStandardHelpOptions = true, sortOptions = false,
        description = "fast-DiT's extracted latents to records: features/{i}.npy (float32, 1 x C x H x W) and "
                + "labels/{i}.npy (int64, 1), paired and ordered by the number i.")
final class ImportNpyCommand extends JobCommand {
    @Option(names = "--features", paramLabel = "DIR", required = true, description = "Folder of {i}.npy latents.")
    String features;

    @Option(names = "--labels", paramLabel = "DIR", required = true, description = "Folder of {i}.npy labels.")
    String labels;

    @Option(names = "--num-classes", paramLabel = "K", defaultValue = "1000",
            description = "Labels must be below this (default ${DEFAULT-VALUE}).")
    int numClasses;

    @Option(names = "--classes", paramLabel = "FILE", description = "Class names, one a line in label order.")
    String classesFile;

    @Option(names = "--vae", paramLabel = "ema|mse", defaultValue = "ema",
            description = "Which VAE made the latents; recorded in the manifest (default ${DEFAULT-VALUE}).")
    String vae;

    @Override
    Map<String, String> inputs() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("--features", features);
        m.put("--labels", labels);
        if (classesFile != null) m.put("--classes", classesFile);
        return m;
    }

    @Override
    Job prepare(DatasetSpec ds) {
        Checks.atLeast(spec, "--num-classes", numClasses, 1);
        Checks.choice(spec, "--vae", vae, "ema", "mse");
        NpyImportJob.Options o = new NpyImportJob.Options();
        o.spec = ds;
        o.features = features;
        o.labels = labels;
        o.numClasses = numClasses;
        o.classesFile = classesFile;
        o.vae = vae;
        o.partitions = dataset.partitions();
        return (sc, log) -> NpyImportJob.run(sc, o, log);
    }
}
