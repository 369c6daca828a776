package org.dydit.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * {@code c = a w} with the rows of a and c split over the Java kernel threads, each part one single-threaded backend
 * call. Between the Java kernels of a forward the backend's OpenMP worker has gone to sleep, and waking it costs
 * about 100 µs on this VM per call, while the kernel threads are still spinning; with both cores in one place the
 * whole forward ran 1-4% (static) and 5% (dynamic) faster (in-process A/B, docs/performance.md). The parts give the
 * bits of one call (a row of c depends only on its row of a in the backend's kernels; SplitMatmulTest). Shapes too
 * small to split go to one call. Not thread-safe: one per engine.
 */
public final class SplitMatmul implements AutoCloseable {
    /** Rows per part at least: below this one multi-threaded call is cheaper than the hand-off. */
    static final int MIN_ROWS = 32;
    /** Part boundaries fall on multiples of this, so a part's rows keep the backend's row blocking. */
    private static final int ALIGN = 8;

    /** The (rows, cols) view of a buffer starting at a row. */
    public interface Rows {
        INDArray view(long firstRow, long rows, long cols);
    }

    private final MatmulCalls whole = new MatmulCalls();
    private final MatmulCalls[] parts;
    private final int threads;
    private long splitCalls;
    private long macs;

    public SplitMatmul() {
        threads = Par.threads();
        parts = new MatmulCalls[threads];
        for (int i = 0; i < threads; i++) parts[i] = new MatmulCalls();
    }

    /** c (m, n) = a (m, k) w (k, n). */
    public void run(Rows a, int m, int k, INDArray w, Rows c, int n) {
        macs += (long) m * k * n;
        int count = Math.min(threads, m / MIN_ROWS);
        if (count < 2) {
            whole.run(a.view(0, m, k), w, c.view(0, m, n));
            return;
        }
        // the views are taken here, on the calling thread: the buffers' view caches are not thread-safe
        INDArray[] as = new INDArray[count], cs = new INDArray[count];
        for (int p = 0; p < count; p++) {
            int r0 = bound(p, count, m), r1 = bound(p + 1, count, m);
            as[p] = a.view(r0, r1 - r0, k);
            cs[p] = c.view(r0, r1 - r0, n);
        }
        boolean split = Par.tryEach(count, (p0, p1) -> {
            NativeOps ops = NativeOpsHolder.getInstance().getDeviceNativeOps();
            int before = ops.ompGetMaxThreads();
            ops.setOmpNumThreads(1);
            try {
                // part p always goes through parts[p], on one thread at a time
                for (int p = p0; p < p1; p++) parts[p].run(as[p], w, cs[p]);
            } finally {
                ops.setOmpNumThreads(before);
            }
        });
        if (split) splitCalls++;
        else whole.run(a.view(0, m, k), w, c.view(0, m, n));   // kernel threads busy elsewhere
    }

    /** Multiply-accumulates of every product run so far, m·k·n per call: the engine's work as asked for. */
    public long macs() {
        return macs;
    }

    /** Calls that ran split (for tests). */
    long splitCalls() {
        return splitCalls;
    }

    private static int bound(int p, int count, int m) {
        if (p == count) return m;
        return (int) ((long) m * p / count) / ALIGN * ALIGN;
    }

    @Override
    public void close() {
        whole.close();
        for (MatmulCalls mc : parts) mc.close();
    }
}
