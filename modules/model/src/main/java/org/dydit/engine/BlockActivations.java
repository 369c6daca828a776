package org.dydit.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What one block's forward pass keeps for its backward pass, allocated once per batch size and reused every
 * step (fresh pages cost ~11 us each on this VM, and ND4J frees off-heap memory only on GC).
 */
final class BlockActivations {
    final INDArray ada;                 // (B, 6D) adaLN output: shift, scale, gate for MSA then MLP
    final INDArray xhat1, rstd1, xm1;   // LN1 output, 1/std per row, modulated input of qkv
    final INDArray q, k, v, p, oh;      // head-major (B*H, T, hd) and probabilities (B*H, T, T)
    final INDArray o, a;                // merged heads (M, D), proj output + bias (M, D)
    final INDArray x1;                  // residual after attention (M, D)
    final INDArray xhat2, rstd2, xm2;   // LN2, modulated input of fc1
    final INDArray f, g, m;             // fc1 + bias (pre-GELU), GELU output, fc2 + bias

    BlockActivations(DataType dt, int b, int t, int d, int heads, int hidden) {
        int rows = b * t;
        int hd = d / heads;
        ada = Nd4j.create(dt, b, 6L * d);
        xhat1 = Nd4j.create(dt, rows, d);
        rstd1 = Nd4j.create(dt, rows);
        xm1 = Nd4j.create(dt, rows, d);
        q = Nd4j.create(dt, (long) b * heads, t, hd);
        k = Nd4j.create(dt, (long) b * heads, t, hd);
        v = Nd4j.create(dt, (long) b * heads, t, hd);
        p = Nd4j.create(dt, (long) b * heads, t, t);
        oh = Nd4j.create(dt, (long) b * heads, t, hd);
        o = Nd4j.create(dt, rows, d);
        a = Nd4j.create(dt, rows, d);
        x1 = Nd4j.create(dt, rows, d);
        xhat2 = Nd4j.create(dt, rows, d);
        rstd2 = Nd4j.create(dt, rows);
        xm2 = Nd4j.create(dt, rows, d);
        f = Nd4j.create(dt, rows, hidden);
        g = Nd4j.create(dt, rows, hidden);
        m = Nd4j.create(dt, rows, d);
    }

    void close() {
        for (INDArray x : new INDArray[]{ada, xhat1, rstd1, xm1, q, k, v, p, oh, o, a, x1, xhat2, rstd2, xm2, f, g, m}) {
            x.close();
        }
    }
}
