package org.dydit.prep.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.Endpoints;
import org.dydit.prep.Sparks;
import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.dataset.Manifest;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every prep subcommand does around its job: check the options before any SparkContext exists, run the job,
 * print the one-line JSON result on stdout. A job's IllegalArgumentException is a bad option value (exit 2); any
 * other failure exits 1 with one line naming the file or record at fault.
 */
abstract class JobCommand implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @ParentCommand
    PrepCommand parent;

    @Mixin
    DatasetOptions dataset;

    @Spec
    CommandSpec spec;

    /** Checks this job's own options (a ParameterException for a bad one) and returns the job to run. */
    abstract Job prepare(DatasetSpec spec);

    /** The job's input paths by option (a local path, file:// or hdfs:// URI), probed before Spark starts. */
    abstract Map<String, String> inputs();

    /** A prep job, once its options are checked. */
    interface Job {
        Manifest run(JavaSparkContext sc, PrintStream log) throws Exception;
    }

    @Override
    public final Integer call() {
        Job job = prepare(dataset.spec(spec));
        String name = "prep " + spec.name();
        PrintWriter err = spec.commandLine().getErr();
        PrintStream log = lines(err);
        JavaSparkContext given = parent == null ? null : parent.sparkContext();
        JavaSparkContext sc;
        try {
            // an HDFS namenode or Spark master that refuses is one line naming it, in seconds, before Spark starts
            Endpoints.requireHdfs("--out", dataset.out);
            for (Map.Entry<String, String> in : inputs().entrySet()) Endpoints.requireHdfs(in.getKey(), in.getValue());
            sc = given != null ? given : Sparks.create("dydit " + name);
        } catch (java.io.IOException e) {
            err.println("dydit " + name + " failed: " + e.getMessage());
            err.flush();
            return FAILED;
        }
        try {
            long t0 = System.nanoTime();
            Manifest m = job.run(sc, log);
            log.flush();
            spec.commandLine().getOut().println(summary(name, dataset.out, m, (System.nanoTime() - t0) / 1e9));
            spec.commandLine().getOut().flush();
            return OK;
        } catch (IllegalArgumentException e) {
            log.flush();
            err.println("dydit prep: " + e.getMessage());
            err.flush();
            return USAGE;
        } catch (Exception e) {
            log.flush();
            err.println("dydit " + name + " failed: " + describe(e));
            err.flush();
            return FAILED;
        } finally {
            if (given == null) sc.stop();
        }
    }

    /** The one-line JSON result on stdout (progress and logs go to stderr). */
    static String summary(String command, String outDir, Manifest m, double seconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("command", command);
        r.put("out", outDir);
        r.put("num_records", m.numRecords);
        r.put("shape", m.shape);
        r.put("dtype", m.dtype.manifestName());
        r.put("parts", m.parts.size());
        r.put("num_classes", m.numClasses);
        r.put("converted", m.converted.count());
        r.put("rejected", m.rejected.count());
        r.put("seconds", Math.round(seconds * 1000) / 1000.0);
        try {
            return new ObjectMapper().writeValueAsString(r);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The message of the deepest cause that has one and is not one of Spark's task-failure wrappers: our
     * own errors name the file and record, and the JDK's causes under them (an EOFException) often have
     * no message at all.
     */
    static String describe(Throwable e) {
        Throwable best = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank() && !(t instanceof org.apache.spark.SparkException)) {
                best = t;
            }
        }
        String msg = best.getMessage() != null ? best.getMessage() : best.getClass().getName();
        return best == e ? msg : msg + " (" + best.getClass().getSimpleName() + ")";
    }

    /** The jobs log to a PrintStream, picocli hands out a PrintWriter: pass whole lines through as UTF-8 text. */
    static PrintStream lines(PrintWriter w) {
        OutputStream bytes = new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                line.write(b);
                if (b == '\n') flush();
            }

            @Override
            public synchronized void flush() {
                if (line.size() > 0) {
                    w.write(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                }
                w.flush();
            }
        };
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }
}
