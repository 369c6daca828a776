package org.dydit.kernels;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Row-split products give the bits of one call, split where they can and fall back to one call where not. The split
 * path is checked in a child process with two kernel threads, so a one-core machine checks it too.
 */
class SplitMatmulTest {
    /** Row views over one flat buffer, as the engine's buffers give them. */
    private record Flat(INDArray data) implements SplitMatmul.Rows {
        Flat(long n) {
            this(Nd4j.create(DataType.FLOAT, n));
        }

        @Override
        public INDArray view(long firstRow, long rows, long cols) {
            return Nd4j.create(data.data(), new long[]{rows, cols}, new long[]{cols, 1}, firstRow * cols, 'c');
        }
    }

    private static float[] whole(Flat a, int m, int k, INDArray w, int n) {
        INDArray c = Nd4j.create(DataType.FLOAT, m, n);
        try (MatmulCalls mc = new MatmulCalls()) {
            mc.run(a.view(0, m, k), w, c);
        }
        return c.ravel().toFloatVector();
    }

    /** Shapes (m, k, n): four of at least 2 x 32 rows, which split, and one of 37 rows, which does not. */
    private static final int[][] SHAPES = {{64, 24, 17}, {200, 48, 40}, {1000, 96, 130}, {517, 128, 384}, {37, 24, 9}};

    /** Every shape, twice with new contents under the same arrays: bit-equal to one call. Returns the split calls. */
    static long splitRowsGiveTheBitsOfOneCall(SplitMatmul sm) {
        Nd4j.getRandom().setSeed(11);
        long splitBefore = sm.splitCalls();
        for (int[] s : SHAPES) {
            int m = s[0], k = s[1], n = s[2];
            Flat a = new Flat(Nd4j.rand(DataType.FLOAT, (long) (m + 3) * k).subi(0.5));
            Flat c = new Flat((long) (m + 3) * n);
            INDArray w = Nd4j.rand(DataType.FLOAT, k, n).subi(0.5);
            for (int round = 0; round < 2; round++) {
                sm.run(a, m, k, w, c, n);
                float[] got = c.view(0, m, n).ravel().toFloatVector();
                assertArrayEquals(whole(a, m, k, w, n), got, 0f, m + "x" + k + "x" + n + ", round " + round);
                a.data().muli(-1.25);   // new contents under the same arrays: the kept contexts must see them
            }
        }
        return sm.splitCalls() - splitBefore;
    }

    /** Inside a parallel loop the kernel threads are taken: one call, still complete; outside, split again. */
    static void busyKernelThreadsFallBackToOneCall() {
        Nd4j.getRandom().setSeed(12);
        int m = 256, k = 64, n = 48;
        Flat a = new Flat(Nd4j.rand(DataType.FLOAT, (long) m * k));
        INDArray w = Nd4j.rand(DataType.FLOAT, k, n);
        float[] want = whole(a, m, k, w, n);
        try (SplitMatmul sm = new SplitMatmul()) {
            Flat c = new Flat((long) m * n);
            Par.range(2, 1, (i0, i1) -> {
                if (i0 == 0) sm.run(a, m, k, w, c, n);
            });
            assertEquals(0, sm.splitCalls(), "a call while the kernel threads are busy runs whole");
            assertArrayEquals(want, c.view(0, m, n).ravel().toFloatVector(), 0f);
            sm.run(a, m, k, w, c, n);
            assertEquals(1, sm.splitCalls(), "free kernel threads: the call runs split");
            assertArrayEquals(want, c.view(0, m, n).ravel().toFloatVector(), 0f);
        }
    }

    /** On this JVM's kernel threads, however many: the bits of one call. */
    @Test
    void splitRowsGiveTheBitsOfOneCallHere() {
        try (SplitMatmul sm = new SplitMatmul()) {
            splitRowsGiveTheBitsOfOneCall(sm);
        }
    }

    /**
     * Child process with exactly two kernel threads ({@code dydit.engine.threads=2}, fixed when {@link Par} loads),
     * so the split path runs whatever the machine: the four large shapes run split, bit-equal to one call, and the
     * busy fallback is taken.
     */
    public static final class TwoThreads {
        public static void main(String[] args) {
            assertEquals(2, Par.threads(), "kernel threads of the child process");
            try (SplitMatmul sm = new SplitMatmul()) {
                assertEquals(2 * 4, splitRowsGiveTheBitsOfOneCall(sm), "the four shapes of at least 2 x 32 rows run split, twice each");
                // the product's MACs are counted once per call, split or not
                long macs = 0;
                for (int[] s : SHAPES) macs += 2L * s[0] * s[1] * s[2];
                assertEquals(macs, sm.macs(), "MACs counted for the calls");
            }
            busyKernelThreadsFallBackToOneCall();
            System.out.println("SPLIT OK");
        }
    }

    @Test
    void withTwoKernelThreadsProductsRunSplitAndGiveTheBitsOfOneCall() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process pr = new ProcessBuilder(List.of(java, "-Xmx1g", "-Ddydit.engine.threads=2", "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), TwoThreads.class.getName())).redirectErrorStream(true).start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        pr.getInputStream().transferTo(buf);
        assertTrue(pr.waitFor(120, TimeUnit.SECONDS), "the two-thread process did not finish");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, pr.exitValue(), out);
        assertTrue(out.lines().anyMatch("SPLIT OK"::equals), out);
    }
}
