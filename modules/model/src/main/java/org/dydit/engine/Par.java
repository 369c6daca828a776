package org.dydit.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a loop over [0, n) into one contiguous chunk per core. ND4J's own ops use OpenMP on the same cores;
 * the Java kernels run between them, never concurrently, so one chunk per core is the right grain.
 */
public final class Par {
    private Par() {}

    public interface Body {
        void run(int from, int to);
    }

    static final int THREADS = Math.max(1, Integer.getInteger("dydit.engine.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ExecutorService POOL = THREADS == 1 ? null : Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "dydit-engine-kernel");
        t.setDaemon(true);
        return t;
    });

    /** Runs {@code body} over [0, n) split into at most {@link #THREADS} chunks; serial when n < minPerChunk*2. */
    public static void range(int n, int minPerChunk, Body body) {
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minPerChunk)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        Future<?>[] f = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            f[c - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, (int) ((long) n / chunks));
        for (Future<?> x : f) {
            try {
                x.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException r) throw r;
                if (c instanceof Error er) throw er;
                throw new IllegalStateException(c);
            }
        }
    }
}
