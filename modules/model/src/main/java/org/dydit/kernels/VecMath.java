package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector functions whose bits do not depend on when the JIT compiles them. The Vector API computes
 * {@code lanewise(EXP)}, {@code lanewise(TANH)} and {@code reduceLanes(ADD)} one way in its Java fallback
 * ({@code Math.exp}/{@code Math.tanh} per lane, lanes summed in order) and may compute them another way once C2
 * compiles the loop (vector routines, another summation order). The same training step then gave different weights
 * in different processes, depending on when compilation happened: a DiT engine forward + backward at batch 16
 * differed in every process with default settings and agreed in every process with C1 only; with these functions
 * in the engine's kernels it agrees in every process (and not with EXP replaced alone). These use only lane
 * extraction and shuffles, +, ×, fma, division and bit operations, which are exact or exactly rounded either way.
 */
public final class VecMath {
    private VecMath() {}

    /**
     * Whether this JVM was started with the command that always inlines these helpers
     * ({@code -XX:CompileCommand=inline,org.dydit.kernels.VecMath::*}, as bin/dydit does): they take and return
     * vectors, and a caller compiled without inlining one boxes a vector per call (DEVELOPERS.md). Benchmarks report
     * it with their numbers.
     */
    public static boolean forcedInline() {
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-XX:CompileCommand=inline,") && a.contains("org.dydit.kernels.VecMath::")) return true;
        }
        return false;
    }

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    /** Lane i to lane i xor k, for k = L/2, L/4, ..., 1: the steps of a fixed pairwise sum. */
    private static final VectorShuffle<Float>[] HALVES = halves();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int l = SP.length();
        if (Integer.bitCount(l) != 1) return new VectorShuffle[0];
        VectorShuffle<Float>[] s = new VectorShuffle[Integer.numberOfTrailingZeros(l)];
        for (int k = l / 2, i = 0; k >= 1; k /= 2, i++) {
            int kk = k;
            s[i] = VectorShuffle.fromOp(SP, j -> j ^ kk);
        }
        return s;
    }

    /**
     * The sum of the lanes of {@code v} as a fixed pairwise tree (lane i + lane i xor L/2, then L/4, ...): the same
     * additions in the fallback and in compiled code, about as fast as {@code reduceLanes(ADD)}.
     */
    public static float addLanes(FloatVector v) {
        if (v.species() != SP || HALVES.length == 0) {
            float s = 0;
            for (int i = 0; i < v.length(); i++) s += v.lane(i);
            return s;
        }
        for (VectorShuffle<Float> h : HALVES) v = v.add(v.rearrange(h));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5 * 2^23: adding it rounds to an integer kept in the low bits
    private static final float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f,
            E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;

    /**
     * exp(x) for x ≤ 0 (below −87 it returns exp(−87) ≈ 1.6e-38 instead of a smaller number or 0): x = n ln2 + r,
     * |r| ≤ ln2/2, Cephes' expf polynomial for e^r, 2^n built in the exponent bits. Relative error below 2e-7, and
     * as fast as a few FMAs.
     */
    public static FloatVector expNonPositive(FloatVector x) {
        x = x.max(-87f);
        FloatVector t = x.fma(x.broadcast(LOG2E), x.broadcast(ROUND));
        FloatVector nf = t.sub(ROUND);
        FloatVector r = nf.fma(x.broadcast(-LN2_HI), x);
        r = nf.fma(x.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(x.broadcast(E0), x.broadcast(E1));
        p = p.fma(r, x.broadcast(E2));
        p = p.fma(r, x.broadcast(E3));
        p = p.fma(r, x.broadcast(E4));
        p = p.fma(r, x.broadcast(E5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(Float.floatToRawIntBits(ROUND) - 127)
                .lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** tanh(x) = sign(x) (1 − e)/(1 + e) with e = exp(−2|x|); absolute error below 2e-7. */
    public static FloatVector tanh(FloatVector x) {
        FloatVector e = expNonPositive(x.abs().mul(-2f));
        FloatVector t = e.neg().add(1f).div(e.add(1f));
        return t.blend(t.neg(), x.lt(0f));
    }

    /** The constants of the tanh form of GELU: sqrt(2 / pi) and 0.044715. */
    static final double GELU_C_64 = Math.sqrt(2.0 / Math.PI), GELU_A_64 = 0.044715;
    private static final float GELU_C = (float) GELU_C_64, GELU_A = (float) GELU_A_64;

    /** gelu_tanh(x) = 0.5 x (1 + tanh(C (x + A x^3))), the GELU of DiT's MLP. */
    public static FloatVector gelu(FloatVector x) {
        FloatVector inner = x.mul(x).mul(GELU_A).add(1f).mul(x).mul(GELU_C);
        return x.mul(0.5f).mul(tanh(inner).add(1f));
    }

    /** d gelu_tanh / dx = 0.5 (1 + th) + 0.5 x (1 - th^2) C (1 + 3 A x^2), th = tanh(C (x + A x^3)). */
    public static FloatVector geluGrad(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector th = tanh(x2.mul(GELU_A).add(1f).mul(x).mul(GELU_C));
        return th.add(1f).mul(0.5f)
                .add(x.mul(0.5f * GELU_C).mul(th.mul(th).neg().add(1f)).mul(x2.mul(3 * GELU_A).add(1f)));
    }
}
