package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.FloatBuffer;

/**
 * float32 attention per (sample, head) in Java with the Vector API: the six T x T x hd products of forward and
 * backward run through one register-blocked kernel on heap copies of the head's slices (L2-resident), with
 * softmax and its backward fused in between. ND4J's batched matmul reaches only ~40-50 GFLOP/s on these shapes
 * and a per-head {@code Nd4j.gemm} costs more in call overhead than in arithmetic, so this path replaces both
 * when the shapes allow ({@link #supports}); results equal the ND4J path to float32 rounding (tested).
 */
public final class JavaAttention {
    private JavaAttention() {}

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    /** Columns per register block: 4 vectors. */
    private static final int NB = 4 * L;

    public static boolean supports(int tokens, int hd) {
        return VecKernels.AVAILABLE && hd % NB == 0 && tokens % NB == 0;
    }

    /** Heap scratch of one thread. */
    private static final class Scratch {
        final float[] q, k, v, kt, s, o, dO, dS;

        Scratch(int t, int hd) {
            q = new float[t * hd];
            k = new float[t * hd];
            v = new float[t * hd];
            kt = new float[t * hd];
            o = new float[t * hd];
            dO = new float[t * hd];
            s = new float[t * t];
            dS = new float[t * t];
        }

        boolean fits(int t, int hd) {
            return q.length == t * hd && s.length == t * t;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private static Scratch scratch(int t, int hd) {
        Scratch s = SCRATCH.get();
        if (s == null || !s.fits(t, hd)) {
            s = new Scratch(t, hd);
            SCRATCH.set(s);
        }
        return s;
    }

    /** Forward for all heads: P (kept) and O; q is pre-scaled. Arrays (B*H, T, hd) / (B*H, T, T). */
    public static void forward(Buf q, Buf k, Buf v, Buf p, Buf o, int heads, int t, int hd) {
        int th = t * hd, tt = t * t;
        FloatBuffer qf = q.bytes().asFloatBuffer(), kf = k.bytes().asFloatBuffer(), vf = v.bytes().asFloatBuffer();
        FloatBuffer pf = p.bytes().asFloatBuffer(), of = o.bytes().asFloatBuffer();
        Par.range(heads, 1, (h0, h1) -> {
            Scratch s = scratch(t, hd);
            for (int h = h0; h < h1; h++) {
                qf.get(h * th, s.q, 0, th);
                kf.get(h * th, s.k, 0, th);
                vf.get(h * th, s.v, 0, th);
                transpose(s.k, s.kt, t, hd);
                mm(s.q, hd, 1, s.kt, s.s, t, t, hd);
                softmax(s.s, t);
                pf.put(h * tt, s.s, 0, tt);
                mm(s.s, t, 1, s.v, s.o, t, hd, t);
                of.put(h * th, s.o, 0, th);
            }
        });
    }

    /** Backward for all heads: dQ (w.r.t. the scaled q), dK, dV from dO, with P from the forward pass. */
    public static void backward(Buf q, Buf k, Buf v, Buf p, Buf dO, Buf dQ, Buf dK, Buf dV, int heads, int t, int hd) {
        int th = t * hd, tt = t * t;
        FloatBuffer qf = q.bytes().asFloatBuffer(), kf = k.bytes().asFloatBuffer(), vf = v.bytes().asFloatBuffer();
        FloatBuffer pf = p.bytes().asFloatBuffer(), df = dO.bytes().asFloatBuffer();
        FloatBuffer dqf = dQ.bytes().asFloatBuffer(), dkf = dK.bytes().asFloatBuffer(), dvf = dV.bytes().asFloatBuffer();
        Par.range(heads, 1, (h0, h1) -> {
            Scratch s = scratch(t, hd);
            for (int h = h0; h < h1; h++) {
                qf.get(h * th, s.q, 0, th);
                kf.get(h * th, s.k, 0, th);
                vf.get(h * th, s.v, 0, th);
                pf.get(h * tt, s.s, 0, tt);
                df.get(h * th, s.dO, 0, th);
                transpose(s.v, s.kt, t, hd);                 // kt holds V^T here
                mm(s.dO, hd, 1, s.kt, s.dS, t, t, hd);       // dP = dO V^T
                mm(s.s, 1, t, s.dO, s.o, t, hd, t);          // dV = P^T dO
                dvf.put(h * th, s.o, 0, th);
                softmaxBackward(s.s, s.dS, t);               // dS = P (dP - rowsum(dP P))
                mm(s.dS, t, 1, s.k, s.o, t, hd, t);          // dQ = dS K
                dqf.put(h * th, s.o, 0, th);
                mm(s.dS, 1, t, s.q, s.o, t, hd, t);          // dK = dS^T Q
                dkf.put(h * th, s.o, 0, th);
            }
        });
    }

    static void transpose(float[] src, float[] dst, int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            int r = i * cols;
            for (int j = 0; j < cols; j++) dst[j * rows + i] = src[r + j];
        }
    }

    /**
     * c (m x n, row-major) = A b with A(i, kk) = a[i*ais + kk*aks] and b (kdim x n, row-major); m % 4 == 0,
     * n % NB == 0. 4 rows x 4 vectors of accumulators stay in registers across the whole k loop.
     */
    static void mm(float[] a, int ais, int aks, float[] b, float[] c, int m, int n, int kdim) {
        for (int j = 0; j < n; j += NB) {
            for (int i = 0; i < m; i += 4) {
                FloatVector c00 = FloatVector.zero(SP), c01 = c00, c02 = c00, c03 = c00;
                FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
                FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
                FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
                int a0 = i * ais, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais;
                for (int kk = 0; kk < kdim; kk++) {
                    int bo = kk * n + j;
                    FloatVector b0 = FloatVector.fromArray(SP, b, bo);
                    FloatVector b1 = FloatVector.fromArray(SP, b, bo + L);
                    FloatVector b2 = FloatVector.fromArray(SP, b, bo + 2 * L);
                    FloatVector b3 = FloatVector.fromArray(SP, b, bo + 3 * L);
                    int ko = kk * aks;
                    FloatVector x = FloatVector.broadcast(SP, a[a0 + ko]);
                    c00 = b0.fma(x, c00);
                    c01 = b1.fma(x, c01);
                    c02 = b2.fma(x, c02);
                    c03 = b3.fma(x, c03);
                    x = FloatVector.broadcast(SP, a[a1 + ko]);
                    c10 = b0.fma(x, c10);
                    c11 = b1.fma(x, c11);
                    c12 = b2.fma(x, c12);
                    c13 = b3.fma(x, c13);
                    x = FloatVector.broadcast(SP, a[a2 + ko]);
                    c20 = b0.fma(x, c20);
                    c21 = b1.fma(x, c21);
                    c22 = b2.fma(x, c22);
                    c23 = b3.fma(x, c23);
                    x = FloatVector.broadcast(SP, a[a3 + ko]);
                    c30 = b0.fma(x, c30);
                    c31 = b1.fma(x, c31);
                    c32 = b2.fma(x, c32);
                    c33 = b3.fma(x, c33);
                }
                int o = i * n + j;
                c00.intoArray(c, o);
                c01.intoArray(c, o + L);
                c02.intoArray(c, o + 2 * L);
                c03.intoArray(c, o + 3 * L);
                o += n;
                c10.intoArray(c, o);
                c11.intoArray(c, o + L);
                c12.intoArray(c, o + 2 * L);
                c13.intoArray(c, o + 3 * L);
                o += n;
                c20.intoArray(c, o);
                c21.intoArray(c, o + L);
                c22.intoArray(c, o + 2 * L);
                c23.intoArray(c, o + 3 * L);
                o += n;
                c30.intoArray(c, o);
                c31.intoArray(c, o + L);
                c32.intoArray(c, o + 2 * L);
                c33.intoArray(c, o + 3 * L);
            }
        }
    }

    static void softmax(float[] s, int t) {
        for (int r = 0; r < t; r++) {
            int base = r * t;
            FloatVector mx = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < t; j += L) mx = mx.max(FloatVector.fromArray(SP, s, base + j));
            float m = mx.reduceLanes(VectorOperators.MAX);
            FloatVector sum = FloatVector.zero(SP);
            for (int j = 0; j < t; j += L) {
                FloatVector e = VecMath.expNonPositive(FloatVector.fromArray(SP, s, base + j).sub(m));
                e.intoArray(s, base + j);
                sum = sum.add(e);
            }
            float inv = 1f / VecMath.addLanes(sum);
            for (int j = 0; j < t; j += L) FloatVector.fromArray(SP, s, base + j).mul(inv).intoArray(s, base + j);
        }
    }

    static void softmaxBackward(float[] p, float[] dp, int t) {
        for (int r = 0; r < t; r++) {
            int base = r * t;
            FloatVector acc = FloatVector.zero(SP);
            for (int j = 0; j < t; j += L) {
                acc = FloatVector.fromArray(SP, p, base + j).fma(FloatVector.fromArray(SP, dp, base + j), acc);
            }
            float dot = VecMath.addLanes(acc);
            for (int j = 0; j < t; j += L) {
                FloatVector pv = FloatVector.fromArray(SP, p, base + j);
                pv.mul(FloatVector.fromArray(SP, dp, base + j).sub(dot)).intoArray(dp, base + j);
            }
        }
    }
}
