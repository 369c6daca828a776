package org.dydit.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop over [0, n) into one contiguous chunk per core. ND4J's own ops use OpenMP on the same cores;
 * the Java kernels run between them, never concurrently, so one chunk per core is the right grain.
 *
 * <p>A forward calls this about a hundred times, often on a few hundred microseconds of work, so the hand-off
 * matters: through an executor (queue, futures, park/unpark both ways) it cost about 30 µs per call back to back.
 * Here each worker takes its chunk through a volatile sequence number, spins briefly after each chunk for the next
 * one (then parks, so that it does not take a core from the backend's OpenMP threads for long), and the caller
 * spins for completion. One caller at a time uses the workers; a concurrent or nested call runs its loop serially
 * on its own thread, so callers never wait on each other and never deadlock.
 */
public final class KernelThreads {
    private KernelThreads() {}

    public interface Body {
        void run(int from, int to);
    }

    public static final int THREADS = Math.max(1, Integer.getInteger("dydit.engine.threads",
            Runtime.getRuntime().availableProcessors()));

    /** How long a worker waits for the next chunk before it parks. */
    private static final long SPIN_NANOS = 20_000L;

    private static final Worker[] WORKERS = new Worker[THREADS - 1];
    private static final AtomicBoolean BUSY = new AtomicBoolean();

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker("dydit-engine-kernel-" + (i + 1));
            WORKERS[i].start();
        }
    }

    /** The number of chunks a loop is split into at most: the kernel threads, the caller's included. */
    public static int threads() {
        return THREADS;
    }

    /** Runs {@code body} over [0, n) split into at most {@link #THREADS} chunks; serial when n < minPerChunk*2. */
    public static void range(int n, int minPerChunk, Body body) {
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minPerChunk)));
        if (chunks <= 1 || !BUSY.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        runClaimed(n, chunks, body);
    }

    /**
     * Runs {@code body} over [0, n) in exactly n chunks of one index each, one per kernel thread, and returns true;
     * returns false without running anything when n exceeds the threads or another caller holds them (the caller
     * then does the work its own way).
     */
    public static boolean tryEach(int n, Body body) {
        if (n < 1 || n > THREADS || !BUSY.compareAndSet(false, true)) return false;
        runClaimed(n, n, body);
        return true;
    }

    /** Runs the chunks with the workers claimed (BUSY set by the caller); releases them. */
    private static void runClaimed(int n, int chunks, Body body) {
        try {
            for (int c = 1; c < chunks; c++) {
                WORKERS[c - 1].submit(body, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            }
            Throwable failure = null;
            try {
                body.run(0, (int) ((long) n / chunks));
            } catch (Throwable t) {
                failure = t;
            }
            for (int c = 1; c < chunks; c++) {
                Throwable t = WORKERS[c - 1].await();
                if (failure == null) failure = t;
            }
            if (failure instanceof RuntimeException r) throw r;
            if (failure instanceof Error e) throw e;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            BUSY.set(false);
        }
    }

    /** A kernel thread: runs the chunk posted last, then spins for the next one before it parks. */
    private static final class Worker extends Thread {
        private volatile long posted, finished;
        private volatile boolean parked;
        private Body body;
        private int from, to;
        private Throwable failure;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void submit(Body b, int f, int t) {
            body = b;
            from = f;
            to = t;
            failure = null;
            posted = posted + 1;   // the volatile write publishes the fields above
            if (parked) LockSupport.unpark(this);
        }

        /**
         * Waits for the chunk posted last; returns what it threw, if anything. Spins for {@link #SPIN_NANOS} x 2.5,
         * then yields every 64 checks: when other threads want the cores (a compiling JIT, other tasks), the worker
         * it waits for gets one (with a busy thread on the second core: dynamic forward at batch 1, 2.29 -> 2.16 s
         * per 40 steps; unchanged without).
         */
        Throwable await() {
            long want = posted;
            long spins = 0, start = System.nanoTime();
            while (finished != want) {
                if ((++spins & 63) != 0 || System.nanoTime() - start < 5 * SPIN_NANOS / 2) Thread.onSpinWait();
                else Thread.yield();
            }
            Throwable t = failure;
            body = null;
            return t;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long start = System.nanoTime();
                while (posted == seen) {
                    if (System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (posted == seen) LockSupport.park(this);
                        parked = false;
                    }
                }
                seen = posted;
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                finished = seen;   // the volatile write publishes failure
            }
        }
    }
}
