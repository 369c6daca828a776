package org.dydit.kernels;

import java.nio.FloatBuffer;

/**
 * The training engine's float32 attention per (sample, head): the six T x T x hd products of forward and
 * backward run through the register-blocked micro-kernel on heap copies of the head's slices (L2-resident), with
 * softmax and its backward fused in between ({@link MatmulKernel}, {@link VectorKernels}). ND4J's batched matmul
 * reaches only ~40-50 GFLOP/s on these shapes and a per-head {@code Nd4j.gemm} costs more in call overhead than in
 * arithmetic, so this path replaces both when the Vector API works ({@link #supports}); results equal the ND4J
 * path to float32 rounding (tested).
 */
public final class TrainingAttention {
    private TrainingAttention() {}

    /** Whether this path runs: with the Vector API (without it ND4J's batched matmul is faster). */
    public static boolean supports() {
        return VectorKernels.ON;
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
    public static void forward(NdBuffer q, NdBuffer k, NdBuffer v, NdBuffer p, NdBuffer o, int heads, int t, int hd) {
        int th = t * hd, tt = t * t;
        FloatBuffer qf = q.bytes().asFloatBuffer(), kf = k.bytes().asFloatBuffer(), vf = v.bytes().asFloatBuffer();
        FloatBuffer pf = p.bytes().asFloatBuffer(), of = o.bytes().asFloatBuffer();
        KernelThreads.range(heads, 1, (h0, h1) -> {
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
    public static void backward(NdBuffer q, NdBuffer k, NdBuffer v, NdBuffer p, NdBuffer dO, NdBuffer dQ, NdBuffer dK, NdBuffer dV, int heads, int t, int hd) {
        int th = t * hd, tt = t * t;
        FloatBuffer qf = q.bytes().asFloatBuffer(), kf = k.bytes().asFloatBuffer(), vf = v.bytes().asFloatBuffer();
        FloatBuffer pf = p.bytes().asFloatBuffer(), df = dO.bytes().asFloatBuffer();
        FloatBuffer dqf = dQ.bytes().asFloatBuffer(), dkf = dK.bytes().asFloatBuffer(), dvf = dV.bytes().asFloatBuffer();
        KernelThreads.range(heads, 1, (h0, h1) -> {
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

    /** c (m x n, row-major) = A b with A(i, kk) = a[i*ais + kk*aks] and b (kdim x n, row-major). */
    private static void mm(float[] a, int ais, int aks, float[] b, float[] c, int m, int n, int kdim) {
        MatmulKernel.multiply(a, 0, ais, aks, b, 0, n, c, 0, n, m, n, kdim);
    }

    private static void softmax(float[] s, int t) {
        for (int r = 0; r < t; r++) VectorKernels.softmax(s, r * t, t);
    }

    private static void softmaxBackward(float[] p, float[] dp, int t) {
        for (int r = 0; r < t; r++) VectorKernels.softmaxBackward(p, dp, r * t, t);
    }
}
