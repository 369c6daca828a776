package org.dydit.engine;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API float32 kernels compute what the scalar float64 kernels compute. */
class VecKernelsTest {

    @Test
    void vectorKernelsAreActiveUnderTheBuildsJvmOptions() {
        assertTrue(VecKernels.AVAILABLE, "the Vector API kernels are off: run the JVM with --add-modules=jdk.incubator.vector");
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
        Kernels.gelu(Buf.of(fd), Buf.of(bias), Buf.of(mask), groups, Buf.of(gd), t, width);
        Kernels.geluBackward(Buf.of(fd), Buf.of(mask), groups, Buf.of(dgd), null, t, width);
        // float32 (vector path when available)
        INDArray ff = f.castTo(DataType.FLOAT), gf = ff.like(), dgf = dg.castTo(DataType.FLOAT);
        Kernels.gelu(Buf.of(ff), Buf.of(bias.castTo(DataType.FLOAT)), Buf.of(mask.castTo(DataType.FLOAT)), groups, Buf.of(gf), t, width);
        Kernels.geluBackward(Buf.of(ff), Buf.of(mask.castTo(DataType.FLOAT)), groups, Buf.of(dgf), null, t, width);
        assertEquals(0, fd.castTo(DataType.FLOAT).sub(ff).amaxNumber().doubleValue(), 1e-5, "f + bias");
        assertEquals(0, gd.castTo(DataType.FLOAT).sub(gf).amaxNumber().doubleValue(), 1e-5, "gelu");
        assertEquals(0, dgd.castTo(DataType.FLOAT).sub(dgf).amaxNumber().doubleValue(), 1e-5, "gelu backward");

        INDArray s = EngineTestModels.gaussian(DataType.DOUBLE, 5, 7, 40).muli(4);
        INDArray dp = EngineTestModels.gaussian(DataType.DOUBLE, 6, 7, 40);
        INDArray sd = s.dup(), dpd = dp.dup(), sf = s.castTo(DataType.FLOAT), dpf = dp.castTo(DataType.FLOAT);
        Kernels.softmaxRows(Buf.of(sd), 40);
        Kernels.softmaxRows(Buf.of(sf), 40);
        assertEquals(0, sd.castTo(DataType.FLOAT).sub(sf).amaxNumber().doubleValue(), 1e-6, "softmax");
        assertEquals(7.0, sf.sumNumber().doubleValue(), 1e-5, "softmax rows sum to 1");
        Kernels.softmaxBackward(Buf.of(sd), Buf.of(dpd), 40);
        Kernels.softmaxBackward(Buf.of(sf), Buf.of(dpf), 40);
        assertEquals(0, dpd.castTo(DataType.FLOAT).sub(dpf).amaxNumber().doubleValue(), 1e-5, "softmax backward");
    }
}
