package org.dydit.prep.cli;

import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.dataset.RecordDType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options every prep job shares: where the dataset goes and how its records and parts are laid out. Listed after
 * each job's own options in its help ({@code order}).
 */
final class DatasetOptions {
    @Option(order = 11, names = "--out", paramLabel = "DIR", required = true,
            description = "The dataset folder to write (refused if it exists, unless --overwrite).")
    String out;

    @Option(order = 12, names = "--dtype", paramLabel = "float32|float16", defaultValue = "float32",
            description = "Record values (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(order = 13, names = "--records-per-part", paramLabel = "N",
            description = "Records per part file (default: about 64 MiB of records per part).")
    Integer recordsPerPart;

    @Option(order = 14, names = "--partitions", paramLabel = "N",
            description = "Spark tasks that encode the input (default: the cluster's parallelism for fmnist, about 128 "
                    + "files per task for images, 1024 for npy imports).")
    Integer partitions;

    @Option(order = 15, names = "--strict", description = "Fail if any input is rejected (default: skip it and list it in the manifest).")
    boolean strict;

    @Option(order = 16, names = "--overwrite", description = "Replace an existing dataset folder (or an empty folder) at --out.")
    boolean overwrite;

    @Option(order = 17, names = "--progress-seconds", paramLabel = "S", defaultValue = "10",
            description = "Seconds between progress lines (default ${DEFAULT-VALUE}).")
    double progressSeconds;

    /** Checks the values and returns the dataset spec they describe. */
    DatasetSpec spec(CommandSpec cmd) {
        Checks.choice(cmd, "--dtype", dtype, "float32", "float16");
        Checks.atLeast(cmd, "--records-per-part", recordsPerPart, 1);
        Checks.atLeast(cmd, "--partitions", partitions, 1);
        Checks.positive(cmd, "--progress-seconds", progressSeconds);
        DatasetSpec s = new DatasetSpec();
        s.out = out;
        s.overwrite = overwrite;
        s.strict = strict;
        s.dtype = RecordDType.parse(dtype);
        s.recordsPerPart = recordsPerPart == null ? 0 : recordsPerPart;
        s.progressSeconds = progressSeconds;
        return s;
    }

    /** The Spark tasks asked for, 0 when the job should choose. */
    int partitions() {
        return partitions == null ? 0 : partitions;
    }
}
