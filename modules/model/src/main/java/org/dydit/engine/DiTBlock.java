package org.dydit.engine;

import org.dydit.kernels.Buf;
import org.dydit.kernels.Kernels;
import org.dydit.kernels.Mm;
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
        Mm.gemm(siluC, w.adaW(), a.ada, false, true, 0);
        prof.lap(GEMM);
        Buf adaB = Buf.of(a.ada);
        Kernels.addRowBias(adaB, Buf.of(w.adaB()));
        Kernels.lnModulate(Buf.of(x), Buf.of(a.xhat1), Buf.of(a.rstd1), adaB, ada, 0, d, Buf.of(a.xm1), t, d, LN_EPS);
        prof.lap(ELEMENTWISE);
        Mm.gemm(a.xm1, w.qkvW(), tmp.qkv, false, true, 0);
        prof.lap(GEMM);
        Kernels.splitHeads(Buf.of(tmp.qkv), Buf.of(w.qkvB()), Buf.of(a.q), Buf.of(a.k), Buf.of(a.v),
                1.0 / Math.sqrt(s.hd()), t, s.heads(), s.hd());
        prof.lap(ELEMENTWISE);
        Attention.forward(a.q, a.k, a.v, a.p, a.oh, prof);
        Kernels.mergeHeads(Buf.of(a.oh), opt(masks.head), Buf.of(a.o), t, s.heads(), s.hd());
        prof.lap(ELEMENTWISE);
        Mm.gemm(a.o, w.projW(), a.a, false, true, 0);
        prof.lap(GEMM);
        Kernels.gatedResidual(Buf.of(x), Buf.of(a.a), Buf.of(w.projB()), adaB, ada, 2 * d, null, Buf.of(a.x1), t, d);
        if (masks.tokenHook != null) {
            prof.lap(ELEMENTWISE);
            masks.tokenHook.forward(a.x1);
            prof.lap(ROUTERS);
        }
        Kernels.lnModulate(Buf.of(a.x1), Buf.of(a.xhat2), Buf.of(a.rstd2), adaB, ada, 3 * d, 4 * d, Buf.of(a.xm2), t, d, LN_EPS);
        prof.lap(ELEMENTWISE);
        Mm.gemm(a.xm2, w.fc1W(), a.f, false, true, 0);
        prof.lap(GEMM);
        Kernels.gelu(Buf.of(a.f), Buf.of(w.fc1B()), opt(masks.channel), s.heads(), Buf.of(a.g), t, s.hidden());
        prof.lap(ELEMENTWISE);
        Mm.gemm(a.g, w.fc2W(), a.m, false, true, 0);
        prof.lap(GEMM);
        Kernels.gatedResidual(Buf.of(a.x1), Buf.of(a.m), Buf.of(w.fc2B()), adaB, ada, 5 * d, opt(masks.token), Buf.of(out), t, d);
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
        Buf adaB = Buf.of(a.ada);
        Buf dAda = Buf.of(tmp.dAda);
        Buf dxB = Buf.of(dx);
        prof.start();
        // MLP branch: out = x1 + gate2 * tok * m
        Kernels.gatedResidualBackward(dxB, Buf.of(a.m), adaB, ada, 5 * d, opt(masks.token), Buf.of(tmp.dBranch), dAda,
                opt(masks.dToken), t, d);
        if (masks.tokenHook != null) {
            prof.lap(ELEMENTWISE);
            masks.tokenHook.backward(dx);
            prof.lap(ROUTERS);
        }
        Kernels.columnSums(Buf.of(tmp.dBranch), Buf.of(gw.fc2B()));
        prof.lap(ELEMENTWISE);
        Mm.gemm(tmp.dBranch, a.g, gw.fc2W(), true, false, 0);
        Mm.gemm(tmp.dBranch, w.fc2W(), tmp.dHidden, false, false, 0);
        prof.lap(GEMM);
        Kernels.geluBackward(Buf.of(a.f), opt(masks.channel), s.heads(), Buf.of(tmp.dHidden), opt(masks.dChannel), t, s.hidden());
        Kernels.columnSums(Buf.of(tmp.dHidden), Buf.of(gw.fc1B()));
        prof.lap(ELEMENTWISE);
        Mm.gemm(tmp.dHidden, a.xm2, gw.fc1W(), true, false, 0);
        Mm.gemm(tmp.dHidden, w.fc1W(), tmp.dxm, false, false, 0);
        prof.lap(GEMM);
        Kernels.lnModulateBackward(Buf.of(tmp.dxm), Buf.of(a.xhat2), Buf.of(a.rstd2), adaB, ada, 3 * d, 4 * d, dAda, dxB, t, d);
        // attention branch: x1 = x + gate1 * a
        Kernels.gatedResidualBackward(dxB, Buf.of(a.a), adaB, ada, 2 * d, null, Buf.of(tmp.dBranch), dAda, null, t, d);
        Kernels.columnSums(Buf.of(tmp.dBranch), Buf.of(gw.projB()));
        prof.lap(ELEMENTWISE);
        Mm.gemm(tmp.dBranch, a.o, gw.projW(), true, false, 0);
        Mm.gemm(tmp.dBranch, w.projW(), tmp.dO, false, false, 0);
        prof.lap(GEMM);
        Kernels.mergeHeadsBackward(Buf.of(tmp.dO), Buf.of(a.oh), opt(masks.head), Buf.of(tmp.dOh), opt(masks.dHead), t, s.heads(), s.hd());
        prof.lap(ELEMENTWISE);
        Attention.backward(a.q, a.k, a.v, a.p, tmp.dOh, tmp.dP, tmp.dQ, tmp.dK, tmp.dV, prof);
        Kernels.mergeQkvGrad(Buf.of(tmp.dQ), Buf.of(tmp.dK), Buf.of(tmp.dV), 1.0 / Math.sqrt(s.hd()), Buf.of(tmp.qkv), t, s.heads(), s.hd());
        Kernels.columnSums(Buf.of(tmp.qkv), Buf.of(gw.qkvB()));
        prof.lap(ELEMENTWISE);
        Mm.gemm(tmp.qkv, a.xm1, gw.qkvW(), true, false, 0);
        Mm.gemm(tmp.qkv, w.qkvW(), tmp.dxm, false, false, 0);
        prof.lap(GEMM);
        Kernels.lnModulateBackward(Buf.of(tmp.dxm), Buf.of(a.xhat1), Buf.of(a.rstd1), adaB, ada, 0, d, dAda, dxB, t, d);
        Kernels.columnSums(dAda, Buf.of(gw.adaB()));
        prof.lap(ELEMENTWISE);
        Mm.gemm(tmp.dAda, siluC, gw.adaW(), true, false, 0);
        Mm.gemm(tmp.dAda, w.adaW(), dSiluC, false, false, 1);
        prof.lap(GEMM);
    }

    private static Buf opt(INDArray a) {
        return a == null ? null : Buf.of(a);
    }
}
