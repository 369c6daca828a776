package org.dydit.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.jobs.TaskThreads;
import org.dydit.prep.Endpoints;
import org.dydit.prep.cli.Checks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code dydit spark-check}: a tiny Spark job that shows what our tasks get on this cluster. Every task
 * sets ND4J's threads with {@link TaskThreads#configureForTask()}, runs a small product, and reports
 * its executor, the thread counts ND4J reads back and the native library it mapped. Fails when a task's
 * threads differ from executor cores / concurrent tasks.
 */
@Command(name = "spark-check", mixinStandardHelpOptions = true,
        description = "Run a tiny Spark job; print, per task, the executor, ND4J threads and natives as JSON.")
final class SparkCheckCommand implements Callable<Integer> {

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "4", description = "Number of tasks (default ${DEFAULT-VALUE}).")
    int tasks;

    /** A check, not a load test: more tasks than this only make the report long. */
    static final int MAX_TASKS = 10_000;

    @Spec
    CommandSpec spec;

    record TaskReport(int partition, String executor, long pid, int executorCores, int taskCpus, int threads,
                      int masterThreads, int ompThreads, int blasThreads, boolean vectorApi, List<String> natives)
            implements Serializable {
    }

    @Override
    public Integer call() throws Exception {
        Checks.range(spec, "--tasks", tasks, 1, MAX_TASKS, "one tiny Spark task each");
        SparkConf conf = new SparkConf().setIfMissing("spark.master", "local[*]")
                .setIfMissing("spark.app.name", "dydit spark-check");
        // a standalone master that refuses: one line naming it in seconds, not a minute of Spark's retries
        Endpoints.requireSparkMaster(conf.get("spark.master"));
        TaskThreads.withExecutorEnv(conf, Runtime.getRuntime().availableProcessors());
        List<TaskReport> reports;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            List<Integer> ids = IntStream.range(0, tasks).boxed().toList();
            reports = new ArrayList<>(sc.parallelize(ids, tasks).mapPartitions(SparkCheckCommand::inTask).collect());
        }
        List<String> problems = new ArrayList<>();
        for (TaskReport r : reports) {
            if (r.ompThreads() != r.threads() || r.masterThreads() > r.threads()) {
                problems.add("task " + r.partition() + " on executor " + r.executor() + " asked for " + r.threads()
                        + " threads but ND4J reports OpenMP " + r.ompThreads() + ", master " + r.masterThreads());
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("master", conf.get("spark.master"));
        out.put("tasks", reports);
        out.put("ok", problems.isEmpty());
        if (!problems.isEmpty()) out.put("problems", problems);
        spec.commandLine().getOut().println(Json.write(out));
        if (!problems.isEmpty()) throw new IllegalStateException(String.join("; ", problems));
        return Main.EXIT_OK;
    }

    private static Iterator<TaskReport> inTask(Iterator<Integer> ignored) throws Exception {
        int threads = TaskThreads.configureForTask();
        org.nd4j.linalg.api.ndarray.INDArray a = org.nd4j.linalg.factory.Nd4j.rand(64, 64);
        a.mmul(a).sumNumber();   // the natives load and run in this task
        SparkConf conf = SparkEnv.get().conf();
        TaskContext tc = TaskContext.get();
        TaskReport r = new TaskReport(tc.partitionId(), SparkEnv.get().executorId(), ProcessHandle.current().pid(),
                TaskThreads.executorCores(conf, Runtime.getRuntime().availableProcessors()), tc.cpus(), threads,
                org.nd4j.linalg.factory.Nd4j.getEnvironment().maxMasterThreads(),
                org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(),
                org.nd4j.linalg.factory.Nd4j.factory().blas().getMaxThreads(),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),   // the engine's kernels need it
                BackendCommand.mappedNativeLibraries());
        return List.of(r).iterator();
    }
}
