package org.dydit.kernels;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Row-split products give the bits of one call, split where they can and fall back to one call where not. */
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

    @Test
    void splitRowsGiveTheBitsOfOneCall() {
        Nd4j.getRandom().setSeed(11);
        int[][] shapes = {{64, 24, 17}, {200, 48, 40}, {1000, 96, 130}, {517, 128, 384}, {37, 24, 9}};
        try (SplitMatmul sm = new SplitMatmul()) {
            long splitBefore = sm.splitCalls();
            for (int[] s : shapes) {
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
            if (Par.threads() >= 2) {
                assertEquals(2 * 4, sm.splitCalls() - splitBefore, "the four shapes of at least 2 x 32 rows run split");
            }
        }
    }

    @Test
    void busyKernelThreadsFallBackToOneCall() {
        Nd4j.getRandom().setSeed(12);
        int m = 256, k = 64, n = 48;
        Flat a = new Flat(Nd4j.rand(DataType.FLOAT, (long) m * k));
        INDArray w = Nd4j.rand(DataType.FLOAT, k, n);
        float[] want = whole(a, m, k, w, n);
        try (SplitMatmul sm = new SplitMatmul()) {
            Flat c = new Flat((long) m * n);
            // inside a parallel loop the kernel threads are taken: the product must still be complete
            Par.range(2, 1, (i0, i1) -> {
                if (i0 == 0) sm.run(a, m, k, w, c, n);
            });
            assertEquals(0, sm.splitCalls());
            assertArrayEquals(want, c.view(0, m, n).ravel().toFloatVector(), 0f);
            sm.run(a, m, k, w, c, n);
            assertTrue(Par.threads() < 2 || sm.splitCalls() == 1, "free kernel threads: the call runs split");
            assertArrayEquals(want, c.view(0, m, n).ravel().toFloatVector(), 0f);
        }
    }
}
