package org.dydit.kernels;

import org.dydit.engine.EngineTestModels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API float32 kernels compute what the scalar float64 kernels compute. */
class TrainingKernelsTest {

    @Test
    void vectorKernelsAreActiveUnderTheBuildsJvmOptions() {
        assertTrue(VectorKernels.ON, "the Vector API kernels are off: run the JVM with --add-modules=jdk.incubator.vector");
    }

    @Test
    void vectorAndScalarKernelsAgree() {
        int b = 2, t = 5, width = 72, groups = 4;   // 72 = 4 groups of 18: vector body plus scalar tails
        INDArray f = EngineTestModels.gaussian(DataType.DOUBLE, 1, (long) b * t, width).muli(3);
        INDArray bias = EngineTestModels.gaussian(DataType.DOUBLE, 2, width);
        INDArray mask = EngineTestModels.uniform(DataType.DOUBLE, 3, 0, 1, b, groups);
        INDArray dg = EngineTestModels.gaussian(DataType.DOUBLE, 4, (long) b * t, width);
        // reference in float64 (scalar path)
        INDArray fd = f.dup(), gd = f.like(), dgd = dg.dup();
        TrainingKernels.gelu(NdBuffer.of(fd), NdBuffer.of(bias), NdBuffer.of(mask), groups, NdBuffer.of(gd), t, width);
        TrainingKernels.geluBackward(NdBuffer.of(fd), NdBuffer.of(mask), groups, NdBuffer.of(dgd), null, t, width);
        // float32 (vector path when available)
        INDArray ff = f.castTo(DataType.FLOAT), gf = ff.like(), dgf = dg.castTo(DataType.FLOAT);
        TrainingKernels.gelu(NdBuffer.of(ff), NdBuffer.of(bias.castTo(DataType.FLOAT)), NdBuffer.of(mask.castTo(DataType.FLOAT)), groups, NdBuffer.of(gf), t, width);
        TrainingKernels.geluBackward(NdBuffer.of(ff), NdBuffer.of(mask.castTo(DataType.FLOAT)), groups, NdBuffer.of(dgf), null, t, width);
        assertEquals(0, fd.castTo(DataType.FLOAT).sub(ff).amaxNumber().doubleValue(), 1e-5, "f + bias");
        assertEquals(0, gd.castTo(DataType.FLOAT).sub(gf).amaxNumber().doubleValue(), 1e-5, "gelu");
        assertEquals(0, dgd.castTo(DataType.FLOAT).sub(dgf).amaxNumber().doubleValue(), 1e-5, "gelu backward");
        // with d mask per (sample, group): the same d hidden bits, and the float64 path's d mask
        INDArray chD = Nd4j.create(DataType.DOUBLE, b, groups), chF = Nd4j.create(DataType.FLOAT, b, groups);
        INDArray dgd2 = dg.dup(), dgf2 = dg.castTo(DataType.FLOAT);
        TrainingKernels.geluBackward(NdBuffer.of(fd), NdBuffer.of(mask), groups, NdBuffer.of(dgd2), NdBuffer.of(chD), t, width);
        TrainingKernels.geluBackward(NdBuffer.of(ff), NdBuffer.of(mask.castTo(DataType.FLOAT)), groups, NdBuffer.of(dgf2), NdBuffer.of(chF), t, width);
        assertArrayEquals(dgf.data().asFloat(), dgf2.data().asFloat(), "d hidden must not depend on whether d mask is asked for");
        assertEquals(0, dgd.sub(dgd2).amaxNumber().doubleValue(), 0.0);
        assertTrue(chD.amaxNumber().doubleValue() > 1, "d mask should be far from zero: " + chD);
        assertEquals(0, chD.castTo(DataType.FLOAT).sub(chF).amaxNumber().doubleValue(), 1e-5 * chD.amaxNumber().doubleValue(), "d mask");

        INDArray s = EngineTestModels.gaussian(DataType.DOUBLE, 5, 7, 40).muli(4);
        INDArray dp = EngineTestModels.gaussian(DataType.DOUBLE, 6, 7, 40);
        INDArray sd = s.dup(), dpd = dp.dup(), sf = s.castTo(DataType.FLOAT), dpf = dp.castTo(DataType.FLOAT);
        TrainingKernels.softmaxRows(NdBuffer.of(sd), 40);
        TrainingKernels.softmaxRows(NdBuffer.of(sf), 40);
        assertEquals(0, sd.castTo(DataType.FLOAT).sub(sf).amaxNumber().doubleValue(), 1e-6, "softmax");
        assertEquals(7.0, sf.sumNumber().doubleValue(), 1e-5, "softmax rows sum to 1");
        TrainingKernels.softmaxBackward(NdBuffer.of(sd), NdBuffer.of(dpd), 40);
        TrainingKernels.softmaxBackward(NdBuffer.of(sf), NdBuffer.of(dpf), 40);
        assertEquals(0, dpd.castTo(DataType.FLOAT).sub(dpf).amaxNumber().doubleValue(), 1e-5, "softmax backward");
    }

    @Test
    void layerNormModulateAgreesBetweenFloatAndDouble() {
        for (int d : new int[]{48, 50}) layerNormModulateAgrees(d);   // 50: a scalar tail after the vectors
    }

    private static void layerNormModulateAgrees(int d) {
        int b = 3, t = 4, stride = 6 * d;
        INDArray x = EngineTestModels.gaussian(DataType.DOUBLE, 7, (long) b * t, d).muli(2).addi(0.5);
        INDArray ada = EngineTestModels.gaussian(DataType.DOUBLE, 8, b, stride).muli(0.3);
        INDArray dy = EngineTestModels.gaussian(DataType.DOUBLE, 9, (long) b * t, d);
        INDArray dx0 = EngineTestModels.gaussian(DataType.DOUBLE, 10, (long) b * t, d);
        INDArray[] dbl = ln(x, ada, dy, dx0, b, t, d, stride);
        INDArray[] flt = ln(x.castTo(DataType.FLOAT), ada.castTo(DataType.FLOAT), dy.castTo(DataType.FLOAT),
                dx0.castTo(DataType.FLOAT), b, t, d, stride);
        String[] names = {"xhat", "rstd", "y", "dAda", "dx"};
        for (int i = 0; i < names.length; i++) {
            double err = dbl[i].castTo(DataType.FLOAT).sub(flt[i]).amaxNumber().doubleValue();
            assertTrue(err < 2e-5 * Math.max(1, dbl[i].amaxNumber().doubleValue()), names[i] + " (d " + d + ") differs by " + err);
        }
    }

    private static INDArray[] ln(INDArray x, INDArray ada, INDArray dy, INDArray dx0, int b, int t, int d, int stride) {
        INDArray xhat = x.like(), rstd = org.nd4j.linalg.factory.Nd4j.create(x.dataType(), (long) b * t), y = x.like();
        INDArray dAda = ada.like(), dx = dx0.dup();
        TrainingKernels.lnModulate(NdBuffer.of(x), NdBuffer.of(xhat), NdBuffer.of(rstd), NdBuffer.of(ada), stride, 3 * d, 4 * d, NdBuffer.of(y), t, d, 1e-6);
        TrainingKernels.lnModulateBackward(NdBuffer.of(dy), NdBuffer.of(xhat), NdBuffer.of(rstd), NdBuffer.of(ada), stride, 3 * d, 4 * d, NdBuffer.of(dAda), NdBuffer.of(dx), t, d);
        return new INDArray[]{xhat, rstd, y, dAda.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(3 * d, 5 * d)).dup(), dx};
    }
}
