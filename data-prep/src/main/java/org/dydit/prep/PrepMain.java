package org.dydit.prep;

import java.io.PrintStream;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.Args.UsageException;
import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordDType;
import org.dydit.prep.encode.ImageEncoders;
import org.dydit.prep.job.FashionMnistJob;
import org.dydit.prep.job.ImageFolderJob;
import org.dydit.prep.job.NpyImportJob;

/**
 * The {@code dydit prep} commands without a CLI framework: {@code fmnist}, {@code images} and
 * {@code import-npy}. Exit codes: 0 done, 1 the job failed, 2 the command line is wrong.
 */
public final class PrepMain {
    private PrepMain() {}

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    static final String USAGE_TEXT = String.join("\n",
            "usage: dydit prep fmnist --out DIR [--split train|test] [--source DIR] [--limit N] [common options]",
            "       dydit prep images --in DIR --out DIR [--size 256] [--encoder pixel] [--flip none|both] [common options]",
            "       dydit prep import-npy --features DIR --labels DIR --out DIR [--num-classes 1000] [--classes FILE]",
            "                             [--vae ema|mse] [common options]",
            "common options: [--dtype float32|float16] [--records-per-part N] [--partitions N] [--strict] [--overwrite]",
            "                [--progress-seconds S]",
            "DIR may be a local path, file:// or hdfs:// URI. Output is written to a temporary folder and renamed",
            "into place when complete. Format: docs/formats.md.");

    private static final Set<String> COMMON_VALUED = Set.of("--out", "--dtype", "--records-per-part", "--partitions",
            "--progress-seconds");
    private static final Set<String> COMMON_FLAGS = Set.of("--strict", "--overwrite");

    /** What a parsed command runs once a SparkContext exists. */
    interface Job {
        Manifest run(JavaSparkContext sc, PrintStream log) throws Exception;
    }

    /** For {@code spark-submit --class org.dydit.prep.PrepMain}: the same as {@code dydit prep ...}. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Parses {@code args} (after "prep"), creates a SparkContext, runs the job and stops the context. */
    public static int run(String[] args) {
        return run(null, args, System.out, System.err);
    }

    /**
     * Runs on an existing SparkContext (left running), or on a new one when {@code sc} is null.
     */
    public static int run(JavaSparkContext sc, String[] args, PrintStream out, PrintStream err) {
        Job job;
        try {
            job = parse(Arrays.asList(args));
        } catch (UsageException e) {
            err.println("dydit prep: " + e.getMessage());
            err.println(USAGE_TEXT);
            return USAGE;
        }
        if (job == null) {
            out.println(USAGE_TEXT);
            return OK;
        }
        JavaSparkContext ctx = sc != null ? sc : Sparks.create("dydit prep " + args[0]);
        try {
            long t0 = System.nanoTime();
            Manifest m = job.run(ctx, err);
            out.println(summary("prep " + args[0], outArg(args), m, (System.nanoTime() - t0) / 1e9));
            return OK;
        } catch (IllegalArgumentException e) {
            err.println("dydit prep: " + e.getMessage());
            return USAGE;
        } catch (Exception e) {
            err.println("dydit prep " + args[0] + " failed: " + describe(e));
            return FAILED;
        } finally {
            if (sc == null) ctx.stop();
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

    private static String outArg(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out") && i + 1 < args.length) return args[i + 1];
            if (args[i].startsWith("--out=")) return args[i].substring(6);
        }
        return null;
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

    static Job parse(List<String> args) throws UsageException {
        if (args.isEmpty()) throw new UsageException("missing command (fmnist, images or import-npy)");
        if (args.contains("--help") || args.contains("-h")) return null;
        String cmd = args.get(0);
        List<String> rest = args.subList(1, args.size());
        switch (cmd) {
            case "help", "--help", "-h":
                return null;
            case "fmnist": {
                Args a = new Args(rest, with(COMMON_VALUED, "--split", "--source", "--limit"), COMMON_FLAGS);
                FashionMnistJob.Options o = new FashionMnistJob.Options();
                o.spec = common(a);
                o.split = a.choice("--split", "train", "train", "test");
                o.source = a.get("--source", FashionMnistJob.DEFAULT_SOURCE);
                o.limit = a.integer("--limit", 0, 1);
                o.partitions = a.integer("--partitions", 0, 1);
                return (sc, log) -> FashionMnistJob.run(sc, o, log);
            }
            case "images": {
                Args a = new Args(rest, with(COMMON_VALUED, "--in", "--size", "--encoder", "--flip"), COMMON_FLAGS);
                ImageFolderJob.Options o = new ImageFolderJob.Options();
                o.spec = common(a);
                o.in = a.required("--in");
                o.size = a.integer("--size", 256, 1);
                o.flip = a.choice("--flip", "none", "none", "both");
                o.partitions = a.integer("--partitions", 0, 1);
                try {
                    o.encoder = ImageEncoders.byName(a.get("--encoder", "pixel"));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--encoder: " + e.getMessage());
                }
                return (sc, log) -> ImageFolderJob.run(sc, o, log);
            }
            case "import-npy": {
                Args a = new Args(rest, with(COMMON_VALUED, "--features", "--labels", "--num-classes", "--classes", "--vae"),
                        COMMON_FLAGS);
                NpyImportJob.Options o = new NpyImportJob.Options();
                o.spec = common(a);
                o.features = a.required("--features");
                o.labels = a.required("--labels");
                o.numClasses = a.integer("--num-classes", 1000, 1);
                o.classesFile = a.get("--classes", null);
                o.vae = a.choice("--vae", "ema", "ema", "mse");
                o.partitions = a.integer("--partitions", 0, 1);
                return (sc, log) -> NpyImportJob.run(sc, o, log);
            }
            default:
                throw new UsageException("unknown command '" + cmd + "' (fmnist, images or import-npy)");
        }
    }

    private static Set<String> with(Set<String> base, String... more) {
        Set<String> s = new HashSet<>(base);
        s.addAll(Arrays.asList(more));
        return s;
    }

    private static DatasetSpec common(Args a) throws UsageException {
        DatasetSpec s = new DatasetSpec();
        s.out = a.required("--out");
        s.overwrite = a.flag("--overwrite");
        s.strict = a.flag("--strict");
        s.dtype = RecordDType.parse(a.choice("--dtype", "float32", "float32", "float16"));
        s.recordsPerPart = a.integer("--records-per-part", 0, 1);
        String ps = a.get("--progress-seconds", "10");
        try {
            s.progressSeconds = Double.parseDouble(ps);
            if (!(s.progressSeconds > 0)) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new UsageException("--progress-seconds must be a positive number, got '" + ps + "'");
        }
        return s;
    }
}
