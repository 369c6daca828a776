package org.dydit.kernels;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Kept matmul contexts give Nd4j.gemm's bits, follow the arrays' current contents and are reused per triple. */
class MatmulCallsTest {
    @Test
    void keptContextsMatchGemmAndFollowTheArrays() {
        Nd4j.getRandom().setSeed(7);
        INDArray big = Nd4j.rand(DataType.FLOAT, 40, 24);
        // a row-offset view, as the engine's views over its flat buffers
        INDArray a = Nd4j.create(big.data(), new long[]{13, 24}, new long[]{24, 1}, 5L * 24, 'c');
        INDArray w1 = Nd4j.rand(DataType.FLOAT, 24, 17), w2 = Nd4j.rand(DataType.FLOAT, 24, 9);
        INDArray c1 = Nd4j.create(DataType.FLOAT, 13, 17), c2 = Nd4j.create(DataType.FLOAT, 13, 9);
        INDArray r1 = Nd4j.create(DataType.FLOAT, 13, 17), r2 = Nd4j.create(DataType.FLOAT, 13, 9);
        try (MatmulCalls m = new MatmulCalls()) {
            for (int round = 0; round < 3; round++) {
                m.run(a, w1, c1);
                m.run(a, w2, c2);
                Nd4j.gemm(a, w1, r1, false, false, 1.0, 0.0);
                Nd4j.gemm(a, w2, r2, false, false, 1.0, 0.0);
                assertArrayEquals(r1.ravel().toFloatVector(), c1.ravel().toFloatVector(), 0f, "round " + round);
                assertArrayEquals(r2.ravel().toFloatVector(), c2.ravel().toFloatVector(), 0f, "round " + round);
                assertEquals(2, m.size(), "one context per (a, w, c)");
                big.muli(1.5);   // new contents under the same arrays: the next round must see them
                w2.addi(0.25);
            }
            m.close();   // drops the contexts; the object stays usable
            assertEquals(0, m.size());
            m.run(a, w1, c1);
            Nd4j.gemm(a, w1, r1, false, false, 1.0, 0.0);
            assertArrayEquals(r1.ravel().toFloatVector(), c1.ravel().toFloatVector(), 0f);
        }
    }
}
