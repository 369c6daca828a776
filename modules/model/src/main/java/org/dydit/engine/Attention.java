package org.dydit.engine;

import org.dydit.kernels.NdBuffer;
import org.dydit.kernels.TrainingAttention;
import org.dydit.kernels.TrainingKernels;
import org.dydit.kernels.Gemm;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Multi-head self-attention core on head-major tensors (B*H, T, hd): scores, softmax, weighted values, and the
 * backward pass. Q arrives already scaled by hd^-1/2. The probabilities P are kept for the backward pass.
 */
public final class Attention {
    private Attention() {}

    /** Set to false (system property dydit.engine.javaAttention=false) to force ND4J's batched matmul. */
    public static boolean javaEnabled = !"false".equals(System.getProperty("dydit.engine.javaAttention"));

    private static boolean useJava(INDArray q) {
        return javaEnabled && q.dataType() == org.nd4j.linalg.api.buffer.DataType.FLOAT
                && TrainingAttention.supports();
    }

    /** s <- q k^T, softmax in place (s becomes P), o <- P v. */
    public static void forward(INDArray q, INDArray k, INDArray v, INDArray s, INDArray o, Profile prof) {
        if (useJava(q)) {
            TrainingAttention.forward(NdBuffer.of(q), NdBuffer.of(k), NdBuffer.of(v), NdBuffer.of(s), NdBuffer.of(o), (int) q.size(0), (int) q.size(1), (int) q.size(2));
            prof.lap(Profile.Phase.ATTENTION);
            return;
        }
        Gemm.batched(q, k, s, false, true);
        prof.lap(Profile.Phase.ATTENTION);
        TrainingKernels.softmaxRows(NdBuffer.of(s), (int) s.size(2));
        prof.lap(Profile.Phase.ELEMENTWISE);
        Gemm.batched(s, v, o, false, false);
        prof.lap(Profile.Phase.ATTENTION);
    }

    /**
     * Given dO: dP = dO v^T, dV = P^T dO, dS = softmax backward (in the dP buffer), dQ = dS k, dK = dS^T q
     * (gradient with respect to the scaled q; the caller applies the scale).
     */
    public static void backward(INDArray q, INDArray k, INDArray v, INDArray p, INDArray dO, INDArray dP,
                         INDArray dQ, INDArray dK, INDArray dV, Profile prof) {
        if (useJava(q)) {
            TrainingAttention.backward(NdBuffer.of(q), NdBuffer.of(k), NdBuffer.of(v), NdBuffer.of(p), NdBuffer.of(dO), NdBuffer.of(dQ), NdBuffer.of(dK), NdBuffer.of(dV),
                    (int) q.size(0), (int) q.size(1), (int) q.size(2));
            prof.lap(Profile.Phase.ATTENTION);
            return;
        }
        Gemm.batched(dO, v, dP, false, true);
        Gemm.batched(p, dO, dV, true, false);
        prof.lap(Profile.Phase.ATTENTION);
        TrainingKernels.softmaxBackward(NdBuffer.of(p), NdBuffer.of(dP), (int) p.size(2));
        prof.lap(Profile.Phase.ELEMENTWISE);
        Gemm.batched(dP, k, dQ, false, false);
        Gemm.batched(dP, q, dK, true, false);
        prof.lap(Profile.Phase.ATTENTION);
    }
}
