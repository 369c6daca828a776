package org.dydit.prep.cli;

import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.job.FashionMnistJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;

/** {@code dydit prep fmnist}: Fashion-MNIST's idx files to 1x32x32 pixel records. */
@Command(name = "fmnist", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fashion-MNIST to pixel records of 1x32x32 in [-1, 1] (each 28x28 image centred with two pixels "
                + "of -1 on every side), in the idx files' order.")
final class FashionMnistCommand extends JobCommand {
    @Option(names = "--split", paramLabel = "train|test", defaultValue = "train",
            description = "Which idx files (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--source", paramLabel = "DIR", defaultValue = FashionMnistJob.DEFAULT_SOURCE,
            description = "Folder of the idx files, gzipped or not (default ${DEFAULT-VALUE}, Debian's "
                    + "dataset-fashion-mnist).")
    String source;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N images (default: all).")
    Integer limit;

    @Override
    Map<String, String> inputs() {
        return Map.of("--source", source);
    }

    @Override
    Job prepare(DatasetSpec ds) {
        Checks.choice(spec, "--split", split, "train", "test");
        Checks.atLeast(spec, "--limit", limit, 1);
        FashionMnistJob.Options o = new FashionMnistJob.Options();
        o.spec = ds;
        o.split = split;
        o.source = source;
        o.limit = limit == null ? 0 : limit;
        o.partitions = dataset.partitions();
        return (sc, log) -> FashionMnistJob.run(sc, o, log);
    }
}
