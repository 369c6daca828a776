package org.dydit.jobs;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskThreadsTest {

    @ParameterizedTest(name = "{0} cores, task.cpus {1} -> {2} threads")
    @CsvSource({
            "1, 1, 1",
            "8, 1, 1",     // 8 tasks at once, one thread each
            "8, 2, 2",     // 4 tasks at once
            "8, 8, 8",     // one task uses the whole executor
            "5, 2, 2",     // 2 tasks at once; the fifth core stays free rather than oversubscribed
            "6, 4, 6",     // only one 4-cpu task fits: give it all 6 cores
            "2, 4, 2"})    // task.cpus above the cores: one task, all cores
    void threadsAreCoresOverConcurrentTasks(int cores, int taskCpus, int expected) {
        int n = TaskThreads.threadsPerTask(cores, taskCpus);
        assertEquals(expected, n);
        int concurrent = Math.max(1, cores / taskCpus);
        assertTrue(concurrent * n <= Math.max(cores, taskCpus), "oversubscribed: " + concurrent + " x " + n);
    }

    @Test
    void rejectsNonPositiveCounts() {
        assertThrows(IllegalArgumentException.class, () -> TaskThreads.threadsPerTask(0, 1));
        assertThrows(IllegalArgumentException.class, () -> TaskThreads.threadsPerTask(4, 0));
    }

    @ParameterizedTest(name = "{0} -> {1} cores")
    @CsvSource(delimiter = ';', value = {
            "local; 1",
            "local[3]; 3",
            "local[*]; 16",
            "local[4,2]; 4",
            "local[*, 3]; 16",
            "local-cluster[2, 3, 1024]; 3",
            "spark://host:7077; 16",      // standalone without spark.executor.cores: all worker cores
            "yarn; 1",
            "k8s://https://api:6443; 1"})
    void executorCoresFollowTheMaster(String master, int expected) {
        SparkConf conf = new SparkConf(false).setMaster(master);
        assertEquals(expected, TaskThreads.executorCores(conf, 16));
    }

    @Test
    void explicitExecutorCoresWinOnClusters() {
        SparkConf conf = new SparkConf(false).setMaster("yarn").set("spark.executor.cores", "6").set("spark.task.cpus", "3");
        assertEquals(6, TaskThreads.executorCores(conf, 16));
        assertEquals(3, TaskThreads.threadsPerTask(conf, 16));
        SparkConf env = TaskThreads.withExecutorEnv(conf, 16);
        assertEquals("3", env.get("spark.executorEnv.OMP_NUM_THREADS"));
        assertEquals("33554432", env.get("spark.executorEnv.MALLOC_MMAP_THRESHOLD_"));
        SparkConf user = new SparkConf(false).setMaster("local[4]").set("spark.executorEnv.OMP_NUM_THREADS", "7");
        assertEquals("7", TaskThreads.withExecutorEnv(user, 16).get("spark.executorEnv.OMP_NUM_THREADS"));
    }

    /** apply() reaches ND4J: its own pool, BLAS and OpenMP report the new count. */
    @Test
    void applySetsNd4jThreads() {
        int before = Nd4j.getEnvironment().maxMasterThreads();
        try {
            TaskThreads.apply(1);
            assertEquals(1, Nd4j.getEnvironment().maxMasterThreads());
            assertEquals(1, Nd4j.factory().blas().getMaxThreads());
            assertEquals(1, org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
        } finally {
            TaskThreads.apply(Math.max(1, before));
        }
    }
}
