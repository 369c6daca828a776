package org.dydit.prep.cli;

import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code dydit prep}: the dataset preparation Spark jobs, one subcommand each. Exit codes: 0 done, 1 the job
 * failed, 2 the command line is wrong (picocli's defaults, as for every dydit command).
 */
@Command(name = "prep", mixinStandardHelpOptions = true,
        description = {"Prepare a dataset (Spark job): Fashion-MNIST, an image folder or fast-DiT .npy latents into a "
                + "sharded dydit-latents/1 dataset (docs/formats.md). Prints one JSON line; progress goes to stderr.",
                "DIR may be a local path, file:// or hdfs:// URI. Output is written to a temporary folder and renamed "
                        + "into place when complete."},
        subcommands = {CommandLine.HelpCommand.class, FashionMnistCommand.class, ImagesCommand.class,
                ImportNpyCommand.class})
public final class PrepCommand implements Runnable {
    private final JavaSparkContext sc;

    @Spec
    CommandSpec spec;

    /** Each job creates its SparkContext (spark-submit's settings, else local[*]) and stops it when done. */
    public PrepCommand() {
        this(null);
    }

    /** Jobs run on {@code sc} and leave it running (tests share one context). */
    public PrepCommand(JavaSparkContext sc) {
        this.sc = sc;
    }

    JavaSparkContext sparkContext() {
        return sc;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (fmnist, images or import-npy)");
    }

    /** For {@code spark-submit --class org.dydit.prep.cli.PrepCommand}: the same as {@code dydit prep ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new PrepCommand()).execute(args));
    }
}
