package org.dydit.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What the training and the sampling benchmark share: the gemm peak reference they divide by, the machine's load,
 * and the small statistics of their JSON.
 */
public final class BenchmarkSupport {
    private BenchmarkSupport() {}

    /**
     * Best float32 GFLOP/s of a 2048x384x1536 {@code Nd4j.gemm} into preallocated C- and F-order outputs
     * (index 0, 1): two rounds of eight products per order, the fastest kept.
     */
    public static double[] gemmReference() {
        int m = 2048, k = 384, n = 1536;
        INDArray a = Nd4j.rand(DataType.FLOAT, m, k), b = Nd4j.rand(DataType.FLOAT, k, n);
        double[] best = new double[2];
        char[] orders = {'c', 'f'};
        for (int round = 0; round < 2; round++) {
            for (int o = 0; o < 2; o++) {
                INDArray c = Nd4j.create(DataType.FLOAT, new long[]{m, n}, orders[o]);
                for (int i = 0; i < 8; i++) {
                    long t0 = System.nanoTime();
                    Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
                    best[o] = Math.max(best[o], 2.0 * m * k * n / (System.nanoTime() - t0));
                }
                c.close();
            }
        }
        a.close();
        b.close();
        return best;
    }

    /** The 1/5/15-minute load averages of this machine (Linux), or "unknown". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    public static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    public static double[] roundAll(double[] v, int digits) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = round(v[i], digits);
        return r;
    }

    /**
     * Bytes allocated on the Java heap so far by the live threads of this JVM (the kernel threads live as long as
     * the process); -1 where the JVM cannot tell. A compiled Vector API kernel allocates nothing per vector; one
     * whose vector operations run out of line boxes every vector, which shows here first.
     */
    public static long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean tm) || !tm.isThreadAllocatedMemoryEnabled()) return -1;
        long sum = 0;
        for (long b : tm.getThreadAllocatedBytes(tm.getAllThreadIds())) if (b > 0) sum += b;
        return sum;
    }

    /** Milliseconds the JIT compilers have spent so far (all compiler threads); -1 where the JVM cannot tell. */
    public static long jitMillis() {
        java.lang.management.CompilationMXBean c = java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : -1;
    }

    /** CPU seconds this process has used so far (all threads); NaN where the JVM cannot tell. */
    public static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (!(os instanceof com.sun.management.OperatingSystemMXBean o)) return Double.NaN;
        long ns = o.getProcessCpuTime();
        return ns < 0 ? Double.NaN : ns / 1e9;
    }
}
