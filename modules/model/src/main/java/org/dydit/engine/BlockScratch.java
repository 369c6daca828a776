package org.dydit.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Temporaries shared by all blocks (used within one block's forward or backward, then overwritten). */
final class BlockScratch {
    final INDArray qkv;                 // (M, 3D) fused projection (forward) / its gradient (backward)
    final INDArray dBranch;             // (M, D) gradient of a branch output (da or dm)
    final INDArray dHidden;             // (M, 4D) dg, then df in place
    final INDArray dxm;                 // (M, D) gradient of a modulated LN output
    final INDArray dO;                  // (M, D) gradient of merged heads
    final INDArray dOh, dQ, dK, dV;     // (B*H, T, hd)
    final INDArray dP;                  // (B*H, T, T)
    final INDArray dAda;                // (B, 6D)

    BlockScratch(DataType dt, int b, int t, int d, int heads, int hidden) {
        int rows = b * t;
        int hd = d / heads;
        long bh = (long) b * heads;
        qkv = Nd4j.create(dt, rows, 3L * d);
        dBranch = Nd4j.create(dt, rows, d);
        dHidden = Nd4j.create(dt, rows, hidden);
        dxm = Nd4j.create(dt, rows, d);
        dO = Nd4j.create(dt, rows, d);
        dOh = Nd4j.create(dt, bh, t, hd);
        dQ = Nd4j.create(dt, bh, t, hd);
        dK = Nd4j.create(dt, bh, t, hd);
        dV = Nd4j.create(dt, bh, t, hd);
        dP = Nd4j.create(dt, bh, t, t);
        dAda = Nd4j.create(dt, b, 6L * d);
    }

    void close() {
        for (INDArray x : new INDArray[]{qkv, dBranch, dHidden, dxm, dO, dOh, dQ, dK, dV, dP, dAda}) x.close();
    }
}
