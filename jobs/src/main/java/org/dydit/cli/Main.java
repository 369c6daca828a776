package org.dydit.cli;

import org.dydit.jobs.NativeVariant;
import org.dydit.prep.cli.PrepCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * The {@code dydit} command line. Runs directly ({@code java -cp ... org.dydit.cli.Main}) and as the
 * main class of a Spark application under spark-submit. Exit codes: 0 success, 1 failure while running
 * (bad input file, I/O error), 2 bad command line.
 */
@Command(name = "dydit",
        mixinStandardHelpOptions = true,
        exitCodeOnInvalidInput = Main.EXIT_USAGE,
        exitCodeOnExecutionException = Main.EXIT_FAILURE,
        versionProvider = Main.Version.class,
        description = "DyDiT on Spark: dynamic diffusion transformers - data preparation, fine-tuning, sampling, FID.",
        subcommands = {
                CommandLine.HelpCommand.class,
                FlopsCommand.class,
                ForwardCommand.class,
                BackendCommand.class,
                PrepCommand.class,
                SparkCheckCommand.class,
                BenchCommand.class, TrainCommand.class, FinetuneCommand.class, ImportCommand.class,
                SampleCommand.class,
                ConvertCommand.class,
        })
public final class Main implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        int code = run(args);
        // Under spark-submit this also ends the driver, with the command's status.
        System.exit(code);
    }

    /** Runs one command line and returns its exit code; never calls System.exit. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        NativeVariant.selectForThisCpu();
        return commandLine(out, err).execute(args);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler(new Errors());
        return cl;
    }

    /**
     * Expected failures (bad input files, bad values) print one line naming the problem; set
     * DYDIT_DEBUG=1 for the stack trace. Anything else is a bug and prints its stack trace.
     */
    static final class Errors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
            PrintWriter err = cl.getErr();
            boolean expected = e instanceof java.io.IOException || e instanceof IllegalArgumentException
                    || e instanceof java.io.UncheckedIOException || e instanceof IllegalStateException;
            String msg = message(e);
            err.println(cl.getCommandSpec().qualifiedName() + ": error: " + msg);
            if (!expected || "1".equals(System.getenv("DYDIT_DEBUG"))) {
                e.printStackTrace(err);
            }
            err.flush();
            return EXIT_FAILURE;
        }
    }

    /** The exception's message; java.nio's file errors carry only the path, so say what went wrong. */
    static String message(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException f) return "no such file or folder: " + f.getFile();
        if (e instanceof java.nio.file.AccessDeniedException f) return "permission denied: " + f.getFile();
        if (e instanceof java.nio.file.FileAlreadyExistsException f) return "already exists: " + f.getFile();
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"dydit " + (v == null ? "(development build)" : v)};
        }
    }
}
