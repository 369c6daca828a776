package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 row primitives of both engines on heap arrays, with the (incubating) Vector API: sums, dot products,
 * LayerNorm + adaLN modulation and its backward, the gated residual, GELU and its backward, softmax and its
 * backward. Each has a scalar tail, so it works for any width; when the vector module is missing or broken
 * ({@link #ON} false, the one availability check of the project) the scalar loops compute the same functions.
 * The engines stage rows of their off-heap buffers in heap arrays (bulk copies) and call these; the matmul
 * micro-kernel is {@link MatmulKernel}.
 */
public final class VectorKernels {
    private VectorKernels() {}

    public static final VectorSpecies<Float> SP;
    /** Floats per vector (1 when {@link #ON} is false). */
    public static final int L;
    /** Whether the Vector API is present, works and is not switched off ({@code -Ddydit.novector=true}). */
    public static final boolean ON;

    static {
        VectorSpecies<Float> sp = null;
        boolean ok;
        try {
            sp = FloatVector.SPECIES_PREFERRED;
            float[] a = new float[sp.length()];
            VecMath.tanh(FloatVector.broadcast(sp, 0.5f)).intoArray(a, 0);
            ok = Math.abs(a[0] - (float) Math.tanh(0.5)) < 1e-6 && !Boolean.getBoolean("dydit.novector");
        } catch (Throwable t) {
            ok = false;
        }
        ON = ok;
        SP = ok ? sp : null;
        L = ok ? sp.length() : 1;
    }

    // ---------------------------------------------------------------- GELU, the scalar definition

    static final double GELU_C = VecMath.GELU_C_64, GELU_A = VecMath.GELU_A_64;

    /** gelu_tanh(x); {@link VecMath#gelu} is its vector form. */
    public static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x * x * x)));
    }

    /** d gelu_tanh / dx; {@link VecMath#geluGrad} is its vector form. */
    public static double geluGrad(double x) {
        double th = Math.tanh(GELU_C * (x + GELU_A * x * x * x));
        return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_C * (1 + 3 * GELU_A * x * x);
    }

    // ---------------------------------------------------------------- reductions

    /** Sum of {@code a[off..off+n)}. */
    public static float sum(float[] a, int off, int n) {
        int j = 0;
        float s = 0;
        if (ON && n >= L) {
            FloatVector acc = FloatVector.zero(SP);
            for (; j + L <= n; j += L) acc = acc.add(FloatVector.fromArray(SP, a, off + j));
            s = VecMath.addLanes(acc);
        }
        for (; j < n; j++) s += a[off + j];
        return s;
    }

    /** Dot product of {@code x[xOff..xOff+n)} and {@code w[off..off+n)}. */
    public static float dot(float[] x, int xOff, float[] w, int off, int n) {
        int j = 0;
        float s = 0;
        if (ON && n >= L) {
            FloatVector acc = FloatVector.zero(SP);
            for (; j + L <= n; j += L) acc = FloatVector.fromArray(SP, x, xOff + j).fma(FloatVector.fromArray(SP, w, off + j), acc);
            s = VecMath.addLanes(acc);
        }
        for (; j < n; j++) s += x[xOff + j] * w[off + j];
        return s;
    }

    /** Sum of squares of {@code a[off..off+n) - mean}. */
    public static float sumSqDev(float[] a, int off, int n, float mean) {
        int j = 0;
        float s = 0;
        if (ON && n >= L) {
            FloatVector acc = FloatVector.zero(SP);
            for (; j + L <= n; j += L) {
                FloatVector c = FloatVector.fromArray(SP, a, off + j).sub(mean);
                acc = c.fma(c, acc);
            }
            s = VecMath.addLanes(acc);
        }
        for (; j < n; j++) {
            float c = a[off + j] - mean;
            s += c * c;
        }
        return s;
    }

    // ---------------------------------------------------------------- LayerNorm (no affine) + adaLN modulation

    /** 1 / sqrt(var + eps) of a row of n values (mean and variance in float32, the root in double). */
    public static float rstd(float[] x, int n, float mean, double eps) {
        return (float) (1.0 / Math.sqrt(sumSqDev(x, 0, n, mean) / n + eps));
    }

    /**
     * {@code xhat[j] = (x[j] - mean) * rs} (when {@code xhat} is non-null: the training engine keeps it for the
     * backward) and {@code y[j] = xhat[j] * scale1[j] + shift[j]}, where scale1 already holds 1 + scale.
     */
    public static void normModulate(float[] x, float mean, float rs, float[] scale1, float[] shift, float[] y,
                                    float[] xhat, int n) {
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector v = FloatVector.fromArray(SP, x, j).sub(mean).mul(rs);
                if (xhat != null) v.intoArray(xhat, j);
                v.fma(FloatVector.fromArray(SP, scale1, j), FloatVector.fromArray(SP, shift, j)).intoArray(y, j);
            }
        }
        for (; j < n; j++) {
            float v = (x[j] - mean) * rs;
            if (xhat != null) xhat[j] = v;
            y[j] = Math.fma(v, scale1[j], shift[j]);
        }
    }

    /**
     * Backward of {@link #normModulate} for one row with the modulation's scale1 = 1 + scale: adds the row's dy to
     * {@code dShift} and dy * xhat to {@code dScale}, and adds the input gradient
     * {@code rs (dh - mean(dh) - xhat mean(dh xhat))}, dh = dy * scale1, to {@code dx}.
     */
    public static void normModulateBackward(float[] dy, float[] xhat, float[] scale1, float rs, float[] dShift,
                                            float[] dScale, float[] dx, int n) {
        int j = 0;
        float m1 = 0, m2 = 0;
        if (ON && n >= L) {
            FloatVector a1 = FloatVector.zero(SP), a2 = a1;
            for (; j + L <= n; j += L) {
                FloatVector dyv = FloatVector.fromArray(SP, dy, j), h = FloatVector.fromArray(SP, xhat, j);
                FloatVector.fromArray(SP, dShift, j).add(dyv).intoArray(dShift, j);
                dyv.fma(h, FloatVector.fromArray(SP, dScale, j)).intoArray(dScale, j);
                FloatVector dh = dyv.mul(FloatVector.fromArray(SP, scale1, j));
                a1 = a1.add(dh);
                a2 = dh.fma(h, a2);
            }
            m1 = VecMath.addLanes(a1);
            m2 = VecMath.addLanes(a2);
        }
        for (; j < n; j++) {
            dShift[j] += dy[j];
            dScale[j] = Math.fma(dy[j], xhat[j], dScale[j]);
            float dh = dy[j] * scale1[j];
            m1 += dh;
            m2 = Math.fma(dh, xhat[j], m2);
        }
        m1 /= n;
        m2 /= n;
        j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector h = FloatVector.fromArray(SP, xhat, j);
                FloatVector dh = FloatVector.fromArray(SP, dy, j).mul(FloatVector.fromArray(SP, scale1, j));
                FloatVector.fromArray(SP, dx, j).add(dh.sub(m1).sub(h.mul(m2)).mul(rs)).intoArray(dx, j);
            }
        }
        for (; j < n; j++) dx[j] += (dy[j] * scale1[j] - m1 - xhat[j] * m2) * rs;
    }

    // ---------------------------------------------------------------- gated residual

    /** {@code x[xOff+j] += gate[gOff+j] * (a[aOff+j] + bias[j])}, j < n. */
    public static void gatedAdd(float[] x, int xOff, float[] a, int aOff, float[] bias, float[] gate, int gOff, int n) {
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector v = FloatVector.fromArray(SP, a, aOff + j).add(FloatVector.fromArray(SP, bias, j));
                v.fma(FloatVector.fromArray(SP, gate, gOff + j), FloatVector.fromArray(SP, x, xOff + j)).intoArray(x, xOff + j);
            }
        }
        for (; j < n; j++) x[xOff + j] = Math.fma(gate[gOff + j], a[aOff + j] + bias[j], x[xOff + j]);
    }

    // ---------------------------------------------------------------- GELU (tanh form)

    /**
     * {@code g[gOff+j] = gelu(m * (f[off+j] + bias[bOff+j]))} for j < n; {@code bias} may be null. The biased value is
     * stored back into f when g is another array (the training engine's backward needs it); in place (g == f at
     * the same offset) f ends holding the GELU.
     */
    public static void gelu(float[] f, int off, float[] bias, int bOff, float m, float[] g, int gOff, int n) {
        boolean keep = bias != null && !(g == f && gOff == off);
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector x = FloatVector.fromArray(SP, f, off + j);
                if (bias != null) x = x.add(FloatVector.fromArray(SP, bias, bOff + j));
                if (keep) x.intoArray(f, off + j);
                if (m != 1f) x = x.mul(m);
                VecMath.gelu(x).intoArray(g, gOff + j);
            }
        }
        for (; j < n; j++) {
            float x = f[off + j] + (bias == null ? 0f : bias[bOff + j]);
            if (keep) f[off + j] = x;
            g[gOff + j] = (float) gelu(m * x);
        }
    }

    /**
     * In place {@code dg[dOff+j] <- m * gelu'(m f[off+j]) * dg[dOff+j]}; returns
     * {@code sum_j gelu'(m f) * dg_in * f}, this row's part of d loss / d m.
     */
    public static float geluBackward(float[] f, int off, float m, float[] dg, int dOff, int n) {
        int j = 0;
        float s = 0;
        if (ON && n >= L) {
            FloatVector acc = FloatVector.zero(SP);
            for (; j + L <= n; j += L) {
                FloatVector f0 = FloatVector.fromArray(SP, f, off + j);
                FloatVector out = FloatVector.fromArray(SP, dg, dOff + j).mul(VecMath.geluGrad(m != 1f ? f0.mul(m) : f0));
                acc = out.fma(f0, acc);
                (m != 1f ? out.mul(m) : out).intoArray(dg, dOff + j);
            }
            s = VecMath.addLanes(acc);
        }
        for (; j < n; j++) {
            float out = dg[dOff + j] * (float) geluGrad(m * f[off + j]);
            s = Math.fma(out, f[off + j], s);
            dg[dOff + j] = m * out;
        }
        return s;
    }

    // ---------------------------------------------------------------- softmax

    /**
     * Unnormalised softmax of {@code s[off..off+n)} in place: {@code exp(s - max)}; returns the sum, by which the
     * caller divides (the dynamic engine's attention divides its hd outputs instead of the T probabilities;
     * {@link #softmax} divides the row).
     */
    public static float expShifted(float[] s, int off, int n) {
        int j = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (ON && n >= L) {
            // four independent chains: the vector max (Math.max semantics) is a long dependent sequence
            FloatVector m0 = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY), m1 = m0, m2 = m0, m3 = m0;
            for (; j + 4 * L <= n; j += 4 * L) {
                m0 = m0.max(FloatVector.fromArray(SP, s, off + j));
                m1 = m1.max(FloatVector.fromArray(SP, s, off + j + L));
                m2 = m2.max(FloatVector.fromArray(SP, s, off + j + 2 * L));
                m3 = m3.max(FloatVector.fromArray(SP, s, off + j + 3 * L));
            }
            for (; j + L <= n; j += L) m0 = m0.max(FloatVector.fromArray(SP, s, off + j));
            m = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        }
        for (; j < n; j++) m = Math.max(m, s[off + j]);
        j = 0;
        float sum = 0;
        if (ON && n >= L) {
            FloatVector acc = FloatVector.zero(SP);
            for (; j + L <= n; j += L) {
                FloatVector e = VecMath.expNonPositive(FloatVector.fromArray(SP, s, off + j).sub(m));
                e.intoArray(s, off + j);
                acc = acc.add(e);
            }
            sum = VecMath.addLanes(acc);
        }
        for (; j < n; j++) {
            float e = (float) Math.exp(s[off + j] - m);
            s[off + j] = e;
            sum += e;
        }
        return sum;
    }

    /** Softmax of {@code s[off..off+n)} in place. */
    public static void softmax(float[] s, int off, int n) {
        scale(s, off, n, 1f / expShifted(s, off, n));
    }

    /** {@code a[off..off+n) *= f}. */
    public static void scale(float[] a, int off, int n, float f) {
        int j = 0;
        if (ON) for (; j + L <= n; j += L) FloatVector.fromArray(SP, a, off + j).mul(f).intoArray(a, off + j);
        for (; j < n; j++) a[off + j] *= f;
    }

    /** In place: {@code dp <- p * (dp - sum(dp * p))} over {@code [off, off+n)}: the softmax backward of one row. */
    public static void softmaxBackward(float[] p, float[] dp, int off, int n) {
        float dot = dot(p, off, dp, off, n);
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector pv = FloatVector.fromArray(SP, p, off + j);
                pv.mul(FloatVector.fromArray(SP, dp, off + j).sub(dot)).intoArray(dp, off + j);
            }
        }
        for (; j < n; j++) dp[off + j] = p[off + j] * (dp[off + j] - dot);
    }
}
