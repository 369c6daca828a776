package org.dydit.engine;

import org.dydit.kernels.NdBuffer;
import org.dydit.kernels.TrainingKernels;
import org.dydit.kernels.Gemm;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.dydit.engine.Profile.Phase.ELEMENTWISE;
import static org.dydit.engine.Profile.Phase.GEMM;
import static org.dydit.engine.Profile.Phase.ROUTERS;

/**
 * One DiT block with adaLN-Zero, forward and backward:
 * <pre>
 *   ada = SiLU(c) W_ada^T + b_ada = [shift1, scale1, gate1, shift2, scale2, gate2]
 *   x1  = x  + gate1 * proj(Attn(LN(x) (1 + scale1) + shift1))
 *   out = x1 + gate2 * fc2(GELU(fc1(LN(x1) (1 + scale2) + shift2)))
 * </pre>
 * Every linear layer is one gemm over all B*T rows; biases are added inside the element-wise kernel that
 * follows the gemm, and bias/gate/shift/scale gradients are reductions, never broadcast ops.
 */
final class DiTBlock {
    private DiTBlock() {}

    static final double LN_EPS = 1e-6;

    /** Shapes of a block run. */
    record Dims(int batch, int tokens, int d, int heads, int hidden) {
        int hd() { return d / heads; }
    }

    static void forward(Dims s, BlockParams w, BlockActivations a, BlockScratch tmp, INDArray siluC,
                        INDArray x, INDArray out, BlockMasks mk, Profile prof) {
        int d = s.d(), t = s.tokens(), ada = 6 * d;
        BlockMasks masks = mk == null ? new BlockMasks() : mk;
        prof.start();
        Gemm.gemm(siluC, w.adaW(), a.ada, false, true, 0);
        prof.lap(GEMM);
        NdBuffer adaB = NdBuffer.of(a.ada);
        TrainingKernels.addRowBias(adaB, NdBuffer.of(w.adaB()));
        TrainingKernels.lnModulate(NdBuffer.of(x), NdBuffer.of(a.xhat1), NdBuffer.of(a.rstd1), adaB, ada, 0, d, NdBuffer.of(a.xm1), t, d, LN_EPS);
        prof.lap(ELEMENTWISE);
        Gemm.gemm(a.xm1, w.qkvW(), tmp.qkv, false, true, 0);
        prof.lap(GEMM);
        TrainingKernels.splitHeads(NdBuffer.of(tmp.qkv), NdBuffer.of(w.qkvB()), NdBuffer.of(a.q), NdBuffer.of(a.k), NdBuffer.of(a.v),
                1.0 / Math.sqrt(s.hd()), t, s.heads(), s.hd());
        prof.lap(ELEMENTWISE);
        Attention.forward(a.q, a.k, a.v, a.p, a.oh, prof);
        TrainingKernels.mergeHeads(NdBuffer.of(a.oh), opt(masks.head), NdBuffer.of(a.o), t, s.heads(), s.hd());
        prof.lap(ELEMENTWISE);
        Gemm.gemm(a.o, w.projW(), a.a, false, true, 0);
        prof.lap(GEMM);
        TrainingKernels.gatedResidual(NdBuffer.of(x), NdBuffer.of(a.a), NdBuffer.of(w.projB()), adaB, ada, 2 * d, null, NdBuffer.of(a.x1), t, d);
        if (masks.tokenHook != null) {
            prof.lap(ELEMENTWISE);
            masks.tokenHook.forward(a.x1);
            prof.lap(ROUTERS);
        }
        TrainingKernels.lnModulate(NdBuffer.of(a.x1), NdBuffer.of(a.xhat2), NdBuffer.of(a.rstd2), adaB, ada, 3 * d, 4 * d, NdBuffer.of(a.xm2), t, d, LN_EPS);
        prof.lap(ELEMENTWISE);
        Gemm.gemm(a.xm2, w.fc1W(), a.f, false, true, 0);
        prof.lap(GEMM);
        TrainingKernels.gelu(NdBuffer.of(a.f), NdBuffer.of(w.fc1B()), opt(masks.channel), s.heads(), NdBuffer.of(a.g), t, s.hidden());
        prof.lap(ELEMENTWISE);
        Gemm.gemm(a.g, w.fc2W(), a.m, false, true, 0);
        prof.lap(GEMM);
        TrainingKernels.gatedResidual(NdBuffer.of(a.x1), NdBuffer.of(a.m), NdBuffer.of(w.fc2B()), adaB, ada, 5 * d, opt(masks.token), NdBuffer.of(out), t, d);
        prof.lap(ELEMENTWISE);
    }

    /**
     * Backward: {@code dx} holds d loss / d block output on entry and d loss / d block input on exit.
     * Writes this block's parameter gradients into {@code gw} and adds d loss / d SiLU(c) to {@code dSiluC}.
     */
    static void backward(Dims s, BlockParams w, BlockParams gw, BlockActivations a, BlockScratch tmp,
                         INDArray siluC, INDArray dSiluC, INDArray dx, BlockMasks mk, Profile prof) {
        int d = s.d(), t = s.tokens(), ada = 6 * d;
        BlockMasks masks = mk == null ? new BlockMasks() : mk;
        NdBuffer adaB = NdBuffer.of(a.ada);
        NdBuffer dAda = NdBuffer.of(tmp.dAda);
        NdBuffer dxB = NdBuffer.of(dx);
        prof.start();
        // MLP branch: out = x1 + gate2 * tok * m
        TrainingKernels.gatedResidualBackward(dxB, NdBuffer.of(a.m), adaB, ada, 5 * d, opt(masks.token), NdBuffer.of(tmp.dBranch), dAda,
                opt(masks.dToken), t, d);
        if (masks.tokenHook != null) {
            prof.lap(ELEMENTWISE);
            masks.tokenHook.backward(dx);
            prof.lap(ROUTERS);
        }
        TrainingKernels.columnSums(NdBuffer.of(tmp.dBranch), NdBuffer.of(gw.fc2B()));
        prof.lap(ELEMENTWISE);
        Gemm.gemm(tmp.dBranch, a.g, gw.fc2W(), true, false, 0);
        Gemm.gemm(tmp.dBranch, w.fc2W(), tmp.dHidden, false, false, 0);
        prof.lap(GEMM);
        TrainingKernels.geluBackward(NdBuffer.of(a.f), opt(masks.channel), s.heads(), NdBuffer.of(tmp.dHidden), opt(masks.dChannel), t, s.hidden());
        TrainingKernels.columnSums(NdBuffer.of(tmp.dHidden), NdBuffer.of(gw.fc1B()));
        prof.lap(ELEMENTWISE);
        Gemm.gemm(tmp.dHidden, a.xm2, gw.fc1W(), true, false, 0);
        Gemm.gemm(tmp.dHidden, w.fc1W(), tmp.dxm, false, false, 0);
        prof.lap(GEMM);
        TrainingKernels.lnModulateBackward(NdBuffer.of(tmp.dxm), NdBuffer.of(a.xhat2), NdBuffer.of(a.rstd2), adaB, ada, 3 * d, 4 * d, dAda, dxB, t, d);
        // attention branch: x1 = x + gate1 * a
        TrainingKernels.gatedResidualBackward(dxB, NdBuffer.of(a.a), adaB, ada, 2 * d, null, NdBuffer.of(tmp.dBranch), dAda, null, t, d);
        TrainingKernels.columnSums(NdBuffer.of(tmp.dBranch), NdBuffer.of(gw.projB()));
        prof.lap(ELEMENTWISE);
        Gemm.gemm(tmp.dBranch, a.o, gw.projW(), true, false, 0);
        Gemm.gemm(tmp.dBranch, w.projW(), tmp.dO, false, false, 0);
        prof.lap(GEMM);
        TrainingKernels.mergeHeadsBackward(NdBuffer.of(tmp.dO), NdBuffer.of(a.oh), opt(masks.head), NdBuffer.of(tmp.dOh), opt(masks.dHead), t, s.heads(), s.hd());
        prof.lap(ELEMENTWISE);
        Attention.backward(a.q, a.k, a.v, a.p, tmp.dOh, tmp.dP, tmp.dQ, tmp.dK, tmp.dV, prof);
        TrainingKernels.mergeQkvGrad(NdBuffer.of(tmp.dQ), NdBuffer.of(tmp.dK), NdBuffer.of(tmp.dV), 1.0 / Math.sqrt(s.hd()), NdBuffer.of(tmp.qkv), t, s.heads(), s.hd());
        TrainingKernels.columnSums(NdBuffer.of(tmp.qkv), NdBuffer.of(gw.qkvB()));
        prof.lap(ELEMENTWISE);
        Gemm.gemm(tmp.qkv, a.xm1, gw.qkvW(), true, false, 0);
        Gemm.gemm(tmp.qkv, w.qkvW(), tmp.dxm, false, false, 0);
        prof.lap(GEMM);
        TrainingKernels.lnModulateBackward(NdBuffer.of(tmp.dxm), NdBuffer.of(a.xhat1), NdBuffer.of(a.rstd1), adaB, ada, 0, d, dAda, dxB, t, d);
        TrainingKernels.columnSums(dAda, NdBuffer.of(gw.adaB()));
        prof.lap(ELEMENTWISE);
        Gemm.gemm(tmp.dAda, siluC, gw.adaW(), true, false, 0);
        Gemm.gemm(tmp.dAda, w.adaW(), dSiluC, false, false, 1);
        prof.lap(GEMM);
    }

    private static NdBuffer opt(INDArray a) {
        return a == null ? null : NdBuffer.of(a);
    }
}
