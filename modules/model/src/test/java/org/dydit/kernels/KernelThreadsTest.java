package org.dydit.kernels;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spinning hand-off covers every index once, passes failures on, and lets concurrent and nested callers run. */
class KernelThreadsTest {
    private static void coverOnce(int n, int minPerChunk) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
        KernelThreads.range(n, minPerChunk, (from, to) -> {
            for (int i = from; i < to; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
    }

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int n : new int[]{0, 1, 2, 3, 7, 64, 1001}) {
            for (int min : new int[]{1, 4, 100}) coverOnce(n, min);
        }
    }

    @Test
    void aFailureInAnyChunkReachesTheCallerAndTheThreadsStayUsable() {
        RuntimeException boom = new IllegalStateException("chunk failed");
        for (int failing = 0; failing < KernelThreads.threads(); failing++) {
            int f = failing;
            RuntimeException got = assertThrows(RuntimeException.class, () -> KernelThreads.range(KernelThreads.threads(), 1, (from, to) -> {
                if (from == f) throw boom;
            }));
            assertSame(boom, got, "chunk " + f);
        }
        coverOnce(1000, 1);
    }

    @Test
    void nestedAndConcurrentCallersRun() throws Exception {
        // a loop inside a loop runs serially on its thread: no deadlock, every index covered
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 8);
        KernelThreads.range(8, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int row = i;
                KernelThreads.range(64, 1, (c, d) -> {
                    for (int j = c; j < d; j++) hits.incrementAndGet(row * 64 + j);
                });
            }
        });
        for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i), "nested index " + i);
        // threads calling at once (one engine per Spark task thread)
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            Future<?>[] f = new Future<?>[4];
            for (int t = 0; t < f.length; t++) f[t] = callers.submit(() -> {
                for (int r = 0; r < 200; r++) coverOnce(97, 1);
            });
            for (Future<?> x : f) x.get(60, TimeUnit.SECONDS);
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void tryEachRunsOneIndexPerThreadOrNothing() {
        assertFalse(KernelThreads.tryEach(KernelThreads.threads() + 1, (a, b) -> { }), "more indices than threads");
        AtomicIntegerArray hits = new AtomicIntegerArray(KernelThreads.threads());
        assertTrue(KernelThreads.tryEach(KernelThreads.threads(), (a, b) -> {
            assertEquals(a + 1, b, "one index per chunk");
            hits.incrementAndGet(a);
        }));
        for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i));
        boolean[] inner = new boolean[1];
        KernelThreads.range(2, 1, (a, b) -> {
            if (a == 0) inner[0] = KernelThreads.tryEach(1, (c, d) -> { });
        });
        assertEquals(KernelThreads.threads() < 2, inner[0], "while a loop holds the threads, tryEach declines");
    }
}
