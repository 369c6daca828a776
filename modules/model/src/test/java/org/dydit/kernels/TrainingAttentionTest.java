package org.dydit.kernels;

import org.dydit.engine.Attention;
import org.dydit.engine.EngineTestModels;
import org.dydit.engine.Profile;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java attention kernels equal the ND4J batched-matmul path (forward and backward) to float32 rounding. */
class TrainingAttentionTest {

    @Test
    void javaAttentionEqualsTheNd4jPath() {
        assertTrue(TrainingAttention.supports(), "the Java attention path is not available here");
        check(3, 64, 64);
        check(2, 37, 24);    // rows past the last block of six, columns past the last whole vector
    }

    private static void check(int bh, int t, int hd) {
        INDArray q = EngineTestModels.gaussian(DataType.FLOAT, 1, bh, t, hd).muli(0.3);
        INDArray k = EngineTestModels.gaussian(DataType.FLOAT, 2, bh, t, hd).muli(0.3);
        INDArray v = EngineTestModels.gaussian(DataType.FLOAT, 3, bh, t, hd);
        INDArray dO = EngineTestModels.gaussian(DataType.FLOAT, 4, bh, t, hd);
        INDArray[] ref = run(false, q, k, v, dO);
        INDArray[] got = run(true, q, k, v, dO);
        String[] names = {"P", "O", "dQ", "dK", "dV"};
        for (int i = 0; i < names.length; i++) {
            double scale = ref[i].amaxNumber().doubleValue();
            double err = ref[i].sub(got[i]).amaxNumber().doubleValue();
            assertTrue(err <= 1e-5 * Math.max(1, scale), names[i] + " (t " + t + ", hd " + hd + "): max |diff| " + err + " (max " + scale + ")");
        }
    }

    private static INDArray[] run(boolean java, INDArray q, INDArray k, INDArray v, INDArray dO) {
        boolean old = Attention.javaEnabled;
        Attention.javaEnabled = java;
        try {
            long bh = q.size(0), t = q.size(1);
            INDArray p = org.nd4j.linalg.factory.Nd4j.create(DataType.FLOAT, bh, t, t);
            INDArray o = q.like(), dP = p.like(), dQ = q.like(), dK = q.like(), dV = q.like();
            Profile prof = new Profile();
            Attention.forward(q, k, v, p, o, prof);
            INDArray pKept = p.dup();
            Attention.backward(q, k, v, p, dO, dP, dQ, dK, dV, prof);
            return new INDArray[]{pKept, o, dQ, dK, dV};
        } finally {
            Attention.javaEnabled = old;
        }
    }
}
