package org.dydit.engine;

import org.dydit.kernels.Buf;
import org.dydit.kernels.JavaAttention;
import org.dydit.kernels.Kernels;
import org.dydit.kernels.Mm;
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
                && JavaAttention.supports((int) q.size(1), (int) q.size(2));
    }

    /** s <- q k^T, softmax in place (s becomes P), o <- P v. */
    public static void forward(INDArray q, INDArray k, INDArray v, INDArray s, INDArray o, Profile prof) {
        if (useJava(q)) {
            JavaAttention.forward(Buf.of(q), Buf.of(k), Buf.of(v), Buf.of(s), Buf.of(o), (int) q.size(0), (int) q.size(1), (int) q.size(2));
            prof.lap(Profile.Phase.ATTENTION);
            return;
        }
        Mm.batched(q, k, s, false, true);
        prof.lap(Profile.Phase.ATTENTION);
        Kernels.softmaxRows(Buf.of(s), (int) s.size(2));
        prof.lap(Profile.Phase.ELEMENTWISE);
        Mm.batched(s, v, o, false, false);
        prof.lap(Profile.Phase.ATTENTION);
    }

    /**
     * Given dO: dP = dO v^T, dV = P^T dO, dS = softmax backward (in the dP buffer), dQ = dS k, dK = dS^T q
     * (gradient with respect to the scaled q; the caller applies the scale).
     */
    public static void backward(INDArray q, INDArray k, INDArray v, INDArray p, INDArray dO, INDArray dP,
                         INDArray dQ, INDArray dK, INDArray dV, Profile prof) {
        if (useJava(q)) {
            JavaAttention.backward(Buf.of(q), Buf.of(k), Buf.of(v), Buf.of(p), Buf.of(dO), Buf.of(dQ), Buf.of(dK), Buf.of(dV),
                    (int) q.size(0), (int) q.size(1), (int) q.size(2));
            prof.lap(Profile.Phase.ATTENTION);
            return;
        }
        Mm.batched(dO, v, dP, false, true);
        Mm.batched(p, dO, dV, true, false);
        prof.lap(Profile.Phase.ATTENTION);
        Kernels.softmaxBackward(Buf.of(p), Buf.of(dP), (int) p.size(2));
        prof.lap(Profile.Phase.ELEMENTWISE);
        Mm.batched(dP, k, dQ, false, false);
        Mm.batched(dP, q, dK, true, false);
        prof.lap(Profile.Phase.ATTENTION);
    }
}
