package org.dydit.jobs;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ND4J threads for one Spark task: the executor's cores divided by the tasks it runs at once, so that
 * concurrent tasks together use the executor's cores and do not oversubscribe them (ND4J otherwise
 * starts one OpenMP/BLAS thread per machine core in every task). With the default
 * {@code spark.task.cpus=1} this is 1 thread per task; a job that wants fewer, wider tasks raises
 * {@code spark.task.cpus}.
 */
public final class TaskThreads {

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,\\s*\\d+\\s*]");

    private TaskThreads() {
    }

    /** Threads per task: cores / floor(cores / taskCpus), at least 1. */
    public static int threadsPerTask(int executorCores, int taskCpus) {
        if (executorCores < 1) throw new IllegalArgumentException("executor cores must be >= 1: " + executorCores);
        if (taskCpus < 1) throw new IllegalArgumentException("spark.task.cpus must be >= 1: " + taskCpus);
        int concurrent = Math.max(1, executorCores / taskCpus);
        return Math.max(1, executorCores / concurrent);
    }

    /**
     * Cores of one executor as {@code conf} describes it. Local masters give their thread count
     * ({@code local[*]} = this machine's cores), {@code local-cluster[n,c,m]} gives c, otherwise
     * {@code spark.executor.cores}, whose default is 1 on YARN and Kubernetes and all of the worker's
     * cores on a standalone cluster (here {@code machineCores}, as seen by the executor).
     */
    public static int executorCores(SparkConf conf, int machineCores) {
        String master = conf.get("spark.master", "local[*]").trim();
        Matcher m = LOCAL.matcher(master);
        if (m.matches()) {
            String n = m.group(1);
            if (n == null) return 1;
            return n.equals("*") ? machineCores : Integer.parseInt(n);
        }
        Matcher lc = LOCAL_CLUSTER.matcher(master);
        if (lc.matches()) return Integer.parseInt(lc.group(1));
        if (conf.contains("spark.executor.cores")) return conf.getInt("spark.executor.cores", 1);
        if (master.startsWith("yarn") || master.startsWith("k8s")) return 1;
        return machineCores;
    }

    /** Threads per task as the configuration says, before any task runs (e.g. for executor env). */
    public static int threadsPerTask(SparkConf conf, int machineCores) {
        return threadsPerTask(executorCores(conf, machineCores), conf.getInt("spark.task.cpus", 1));
    }

    /**
     * Call at the start of a task, in the task's thread, before ND4J work: sets ND4J's threads for this
     * task and returns the count. Outside a task (driver, plain CLI) it leaves ND4J's defaults and
     * returns ND4J's current thread count.
     */
    public static int configureForTask() {
        NativeVariant.selectForThisCpu();
        TaskContext tc = TaskContext.get();
        SparkEnv env = SparkEnv.get();
        if (tc == null || env == null) {
            return Nd4j.getEnvironment().maxMasterThreads();
        }
        int cores = executorCores(env.conf(), Runtime.getRuntime().availableProcessors());
        int n = threadsPerTask(cores, Math.max(1, tc.cpus()));
        apply(n);
        return n;
    }

    /**
     * Sets ND4J's thread counts: the threads libnd4j's pool gives one op ("master threads"; its pool
     * size, {@code maxThreads}, is fixed at start-up from OMP_NUM_THREADS or the core count and
     * {@code setMaxThreads} is a no-op in M2.1, so counts above it are capped), OpenBLAS, and the
     * OpenMP count of the calling thread (oneDNN and some ops use OpenMP, whose count is per thread).
     */
    public static void apply(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
    }

    /**
     * Puts the per-task thread count and the allocator settings into the executors' environment
     * ({@code spark.executorEnv.*}) unless the user set them, so that executor JVMs start right.
     */
    public static SparkConf withExecutorEnv(SparkConf conf, int machineCores) {
        String threads = Integer.toString(threadsPerTask(conf, machineCores));
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", threads);
        conf.setIfMissing("spark.executorEnv.MALLOC_MMAP_THRESHOLD_", "33554432");
        conf.setIfMissing("spark.executorEnv.MALLOC_TRIM_THRESHOLD_", "17179869184");
        // Spinning OpenMP workers slow the Java kernels that run between gemms (see bin/dydit).
        conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
        return conf;
    }
}
