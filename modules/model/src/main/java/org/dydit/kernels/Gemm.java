package org.dydit.kernels;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products into preallocated C-order outputs. {@code Nd4j.gemm} into an existing C-order array runs at
 * the backend's peak (oneDNN); allocating products ({@code mmul}) are 5-25x slower, and F-order outputs about
 * half as fast on this machine (measured: 330-360 vs 175-185 GFLOP/s for 2048x384x1536).
 */
public final class Gemm {
    private Gemm() {}

    /** c = op(a) op(b) + beta c. */
    public static void gemm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double beta) {
        Nd4j.gemm(a, b, c, ta, tb, 1.0, beta);
    }

    /** Batched: c[i] = op(a[i]) op(b[i]) for rank-3 arrays, one native call. */
    public static void batched(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb) {
        Nd4j.exec(new Mmul(a, b, c, 1.0, 0.0, MMulTranspose.builder().transposeA(ta).transposeB(tb).build()));
    }
}
