package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * float32 row primitives on heap arrays with the (incubating) Vector API, each with a scalar tail, so every
 * kernel of the inference engine works for any width. {@link #ON} is false when the module is missing or broken
 * (then the scalar loops compute the same functions).
 */
public final class Vec {
    private Vec() {}

    public static final VectorSpecies<Float> SP;
    public static final int L;
    public static final boolean ON;

    static {
        VectorSpecies<Float> sp = null;
        boolean ok;
        try {
            sp = FloatVector.SPECIES_PREFERRED;
            float[] a = new float[sp.length()];
            VecMath.tanh(FloatVector.broadcast(sp, 0.5f)).intoArray(a, 0);
            ok = Math.abs(a[0] - (float) Math.tanh(0.5)) < 1e-6 && !Boolean.getBoolean("dydit.inference.novector");
        } catch (Throwable t) {
            ok = false;
        }
        ON = ok;
        SP = ok ? sp : null;
        L = ok ? sp.length() : 1;
    }

    /** Sum of {@code a[off..off+n)}. */
    static float sum(float[] a, int off, int n) {
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

    /** Dot product of {@code x[0..n)} and {@code w[off..off+n)}. */
    static float dot(float[] x, float[] w, int off, int n) {
        int j = 0;
        float s = 0;
        if (ON && n >= L) {
            FloatVector acc = FloatVector.zero(SP);
            for (; j + L <= n; j += L) acc = FloatVector.fromArray(SP, x, j).fma(FloatVector.fromArray(SP, w, off + j), acc);
            s = VecMath.addLanes(acc);
        }
        for (; j < n; j++) s += x[j] * w[off + j];
        return s;
    }

    /** Dot product of {@code x[xOff..xOff+n)} and {@code w[off..off+n)}. */
    static float dot(float[] x, float[] w, int off, int n, int xOff) {
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
    static float sumSqDev(float[] a, int off, int n, float mean) {
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

    /** {@code y[j] = (x[j] - mean) * rs * scale1[j] + shift[j]} where scale1 already holds 1 + scale. */
    static void normModulate(float[] x, float mean, float rs, float[] scale1, float[] shift, float[] y, int n) {
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector v = FloatVector.fromArray(SP, x, j).sub(mean).mul(rs);
                v.fma(FloatVector.fromArray(SP, scale1, j), FloatVector.fromArray(SP, shift, j)).intoArray(y, j);
            }
        }
        for (; j < n; j++) y[j] = (x[j] - mean) * rs * scale1[j] + shift[j];
    }

    /** {@code x[j] += gate[j] * (a[j] + bias[j])}. */
    static void gatedAdd(float[] x, float[] a, float[] bias, float[] gate, int n) {
        gatedAdd(x, 0, a, 0, bias, gate, 0, n);
    }

    /** {@code x[xOff+j] += gate[gOff+j] * (a[aOff+j] + bias[j])}, j < n. */
    static void gatedAdd(float[] x, int xOff, float[] a, int aOff, float[] bias, float[] gate, int gOff, int n) {
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector v = FloatVector.fromArray(SP, a, aOff + j).add(FloatVector.fromArray(SP, bias, j));
                v.fma(FloatVector.fromArray(SP, gate, gOff + j), FloatVector.fromArray(SP, x, xOff + j)).intoArray(x, xOff + j);
            }
        }
        for (; j < n; j++) x[xOff + j] += gate[gOff + j] * (a[aOff + j] + bias[j]);
    }

    private static final float GELU_C = (float) Math.sqrt(2.0 / Math.PI);
    private static final float GELU_A = 0.044715f;

    /** In place: {@code f[off+j] = gelu_tanh(f[off+j] + bias[j])}. */
    static void biasGelu(float[] f, int off, float[] bias, int n) {
        int j = 0;
        if (ON) {
            for (; j + L <= n; j += L) {
                FloatVector x = FloatVector.fromArray(SP, f, off + j).add(FloatVector.fromArray(SP, bias, j));
                FloatVector inner = x.mul(x).mul(GELU_A).add(1f).mul(x).mul(GELU_C);
                x.mul(0.5f).mul(VecMath.tanh(inner).add(1f)).intoArray(f, off + j);
            }
        }
        for (; j < n; j++) {
            float x = f[off + j] + bias[j];
            f[off + j] = (float) (0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_A * x * x * x))));
        }
    }

    /**
     * Unnormalised softmax of {@code s[off..off+n)} in place: {@code exp(s - max)}; returns the sum, by which the
     * caller divides (the attention divides its hd outputs instead of the T probabilities).
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

    /**
     * {@code c[cOff + r*ldc + j] = sum_kk a[aOff + r*ais + kk] * b[bOff + kk*ldb + j]} for r < 4, j < cols: four
     * rows of a times a column panel of b. Column blocks of 4, 2 and 1 vectors keep 16, 8 or 4 accumulators in
     * registers; columns past the last whole vector take a scalar loop.
     */
    static void mm4(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                    int cols, int k) {
        int j = 0;
        if (ON) {
            // one method per block width, each compiled on its own with its own inlining budget: in some runs
            // the JIT left vector operations of the one-method kernel out of line (the Vector API's Java fallback
            // under it in JFR samples), 2-8x slower for the whole run (2 of 7 harness runs before, 0 of 5 after)
            j = mm4Blocks4(a, aOff, ais, b, bOff, ldb, c, cOff, ldc, j, cols, k);
            j = mm4Blocks2(a, aOff, ais, b, bOff, ldb, c, cOff, ldc, j, cols, k);
            j = mm4Blocks1(a, aOff, ais, b, bOff, ldb, c, cOff, ldc, j, cols, k);
        }
        for (int r = 0; r < 4; r++) {
            int ar = aOff + r * ais, co = cOff + r * ldc;
            for (int jj = j; jj < cols; jj++) {
                float acc = 0;
                for (int kk = 0; kk < k; kk++) acc += a[ar + kk] * b[bOff + kk * ldb + jj];
                c[co + jj] = acc;
            }
        }
    }

    /** The column blocks of 4 vector(s) of {@link #mm4} from column j on; returns the first column left. */
    private static int mm4Blocks4(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais;
        for (; j + 4 * L <= cols; j += 4 * L) {
            FloatVector c00 = FloatVector.zero(SP), c01 = c00, c02 = c00, c03 = c00;
            FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
            FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            for (int kk = 0; kk < k; kk++) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo);
                FloatVector b1 = FloatVector.fromArray(SP, b, bo + L);
                FloatVector b2 = FloatVector.fromArray(SP, b, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(SP, b, bo + 3 * L);
                FloatVector x = FloatVector.broadcast(SP, a[a0 + kk]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                c02 = b2.fma(x, c02);
                c03 = b3.fma(x, c03);
                x = FloatVector.broadcast(SP, a[a1 + kk]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                c12 = b2.fma(x, c12);
                c13 = b3.fma(x, c13);
                x = FloatVector.broadcast(SP, a[a2 + kk]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                c22 = b2.fma(x, c22);
                c23 = b3.fma(x, c23);
                x = FloatVector.broadcast(SP, a[a3 + kk]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                c32 = b2.fma(x, c32);
                c33 = b3.fma(x, c33);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            c01.intoArray(c, o + L);
            c02.intoArray(c, o + 2 * L);
            c03.intoArray(c, o + 3 * L);
            o += ldc;
            c10.intoArray(c, o);
            c11.intoArray(c, o + L);
            c12.intoArray(c, o + 2 * L);
            c13.intoArray(c, o + 3 * L);
            o += ldc;
            c20.intoArray(c, o);
            c21.intoArray(c, o + L);
            c22.intoArray(c, o + 2 * L);
            c23.intoArray(c, o + 3 * L);
            o += ldc;
            c30.intoArray(c, o);
            c31.intoArray(c, o + L);
            c32.intoArray(c, o + 2 * L);
            c33.intoArray(c, o + 3 * L);
        }
        return j;
    }

    /** The column blocks of 2 vector(s) of {@link #mm4} from column j on; returns the first column left. */
    private static int mm4Blocks2(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais;
        for (; j + 2 * L <= cols; j += 2 * L) {
            FloatVector c00 = FloatVector.zero(SP), c01 = c00, c10 = c00, c11 = c00;
            FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            for (int kk = 0; kk < k; kk++) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo), b1 = FloatVector.fromArray(SP, b, bo + L);
                FloatVector x = FloatVector.broadcast(SP, a[a0 + kk]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                x = FloatVector.broadcast(SP, a[a1 + kk]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                x = FloatVector.broadcast(SP, a[a2 + kk]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                x = FloatVector.broadcast(SP, a[a3 + kk]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            c01.intoArray(c, o + L);
            c10.intoArray(c, o + ldc);
            c11.intoArray(c, o + ldc + L);
            c20.intoArray(c, o + 2 * ldc);
            c21.intoArray(c, o + 2 * ldc + L);
            c30.intoArray(c, o + 3 * ldc);
            c31.intoArray(c, o + 3 * ldc + L);
        }
        return j;
    }

    /** The column blocks of 1 vector(s) of {@link #mm4} from column j on; returns the first column left. */
    private static int mm4Blocks1(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais;
        for (; j + L <= cols; j += L) {
            FloatVector c0 = FloatVector.zero(SP), c1 = c0, c2 = c0, c3 = c0;
            for (int kk = 0; kk < k; kk++) {
                FloatVector bv = FloatVector.fromArray(SP, b, bOff + kk * ldb + j);
                c0 = bv.fma(FloatVector.broadcast(SP, a[a0 + kk]), c0);
                c1 = bv.fma(FloatVector.broadcast(SP, a[a1 + kk]), c1);
                c2 = bv.fma(FloatVector.broadcast(SP, a[a2 + kk]), c2);
                c3 = bv.fma(FloatVector.broadcast(SP, a[a3 + kk]), c3);
            }
            int o = cOff + j;
            c0.intoArray(c, o);
            c1.intoArray(c, o + ldc);
            c2.intoArray(c, o + 2 * ldc);
            c3.intoArray(c, o + 3 * ldc);
        }
        return j;
    }
    /**
     * {@code c[cOff + r*ldc + j] = sum_kk a[aOff + r*ais + kk] * b[bOff + kk*ldb + j]} for r < 6, j < cols: the
     * attention products. Six rows by four vectors keep 24 accumulators in registers, which loads b once per six
     * FMAs instead of four (measured 175-210 against 130-170 GFLOP/s for {@link #mm4} on the 256 x 64 x 256 score
     * product); columns past the last whole block of four vectors go two, then one vector, then one scalar at a
     * time.
     */
    public static void mm6(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
                    int cols, int k) {
        int j = 0;
        if (ON) {
            // one method per block width, each compiled on its own with its own inlining budget: in some runs
            // the JIT left vector operations of the one-method kernel out of line (the Vector API's Java fallback
            // under it in JFR samples), 2-8x slower for the whole run (2 of 7 harness runs before, 0 of 5 after)
            j = mm6Blocks4(a, aOff, ais, b, bOff, ldb, c, cOff, ldc, j, cols, k);
            j = mm6Blocks2(a, aOff, ais, b, bOff, ldb, c, cOff, ldc, j, cols, k);
            j = mm6Blocks1(a, aOff, ais, b, bOff, ldb, c, cOff, ldc, j, cols, k);
        }
        for (int r = 0; r < 6; r++) {
            int ar = aOff + r * ais, co = cOff + r * ldc;
            for (int jj = j; jj < cols; jj++) {
                float acc = 0;
                for (int kk = 0; kk < k; kk++) acc += a[ar + kk] * b[bOff + kk * ldb + jj];
                c[co + jj] = acc;
            }
        }
    }

    /** The column blocks of 4 vector(s) of {@link #mm6} from column j on; returns the first column left. */
    private static int mm6Blocks4(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais, a4 = a3 + ais, a5 = a4 + ais;
        for (; j + 4 * L <= cols; j += 4 * L) {
            FloatVector z = FloatVector.zero(SP);
            FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
            for (int kk = 0; kk < k; kk++) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo);
                FloatVector b1 = FloatVector.fromArray(SP, b, bo + L);
                FloatVector b2 = FloatVector.fromArray(SP, b, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(SP, b, bo + 3 * L);
                FloatVector x0 = FloatVector.broadcast(SP, a[a0 + kk]);
                c00 = b0.fma(x0, c00);
                c01 = b1.fma(x0, c01);
                c02 = b2.fma(x0, c02);
                c03 = b3.fma(x0, c03);
                FloatVector x1 = FloatVector.broadcast(SP, a[a1 + kk]);
                c10 = b0.fma(x1, c10);
                c11 = b1.fma(x1, c11);
                c12 = b2.fma(x1, c12);
                c13 = b3.fma(x1, c13);
                FloatVector x2 = FloatVector.broadcast(SP, a[a2 + kk]);
                c20 = b0.fma(x2, c20);
                c21 = b1.fma(x2, c21);
                c22 = b2.fma(x2, c22);
                c23 = b3.fma(x2, c23);
                FloatVector x3 = FloatVector.broadcast(SP, a[a3 + kk]);
                c30 = b0.fma(x3, c30);
                c31 = b1.fma(x3, c31);
                c32 = b2.fma(x3, c32);
                c33 = b3.fma(x3, c33);
                FloatVector x4 = FloatVector.broadcast(SP, a[a4 + kk]);
                c40 = b0.fma(x4, c40);
                c41 = b1.fma(x4, c41);
                c42 = b2.fma(x4, c42);
                c43 = b3.fma(x4, c43);
                FloatVector x5 = FloatVector.broadcast(SP, a[a5 + kk]);
                c50 = b0.fma(x5, c50);
                c51 = b1.fma(x5, c51);
                c52 = b2.fma(x5, c52);
                c53 = b3.fma(x5, c53);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            c01.intoArray(c, o + L);
            c02.intoArray(c, o + 2 * L);
            c03.intoArray(c, o + 3 * L);
            o += ldc;
            c10.intoArray(c, o);
            c11.intoArray(c, o + L);
            c12.intoArray(c, o + 2 * L);
            c13.intoArray(c, o + 3 * L);
            o += ldc;
            c20.intoArray(c, o);
            c21.intoArray(c, o + L);
            c22.intoArray(c, o + 2 * L);
            c23.intoArray(c, o + 3 * L);
            o += ldc;
            c30.intoArray(c, o);
            c31.intoArray(c, o + L);
            c32.intoArray(c, o + 2 * L);
            c33.intoArray(c, o + 3 * L);
            o += ldc;
            c40.intoArray(c, o);
            c41.intoArray(c, o + L);
            c42.intoArray(c, o + 2 * L);
            c43.intoArray(c, o + 3 * L);
            o += ldc;
            c50.intoArray(c, o);
            c51.intoArray(c, o + L);
            c52.intoArray(c, o + 2 * L);
            c53.intoArray(c, o + 3 * L);
        }
        return j;
    }

    /** The column blocks of 2 vector(s) of {@link #mm6} from column j on; returns the first column left. */
    private static int mm6Blocks2(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais, a4 = a3 + ais, a5 = a4 + ais;
        for (; j + 2 * L <= cols; j += 2 * L) {
            FloatVector z = FloatVector.zero(SP);
            FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
            for (int kk = 0; kk < k; kk++) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo), b1 = FloatVector.fromArray(SP, b, bo + L);
                FloatVector x = FloatVector.broadcast(SP, a[a0 + kk]);
                c00 = b0.fma(x, c00);
                c01 = b1.fma(x, c01);
                x = FloatVector.broadcast(SP, a[a1 + kk]);
                c10 = b0.fma(x, c10);
                c11 = b1.fma(x, c11);
                x = FloatVector.broadcast(SP, a[a2 + kk]);
                c20 = b0.fma(x, c20);
                c21 = b1.fma(x, c21);
                x = FloatVector.broadcast(SP, a[a3 + kk]);
                c30 = b0.fma(x, c30);
                c31 = b1.fma(x, c31);
                x = FloatVector.broadcast(SP, a[a4 + kk]);
                c40 = b0.fma(x, c40);
                c41 = b1.fma(x, c41);
                x = FloatVector.broadcast(SP, a[a5 + kk]);
                c50 = b0.fma(x, c50);
                c51 = b1.fma(x, c51);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            c01.intoArray(c, o + L);
            c10.intoArray(c, o + ldc);
            c11.intoArray(c, o + ldc + L);
            c20.intoArray(c, o + 2 * ldc);
            c21.intoArray(c, o + 2 * ldc + L);
            c30.intoArray(c, o + 3 * ldc);
            c31.intoArray(c, o + 3 * ldc + L);
            c40.intoArray(c, o + 4 * ldc);
            c41.intoArray(c, o + 4 * ldc + L);
            c50.intoArray(c, o + 5 * ldc);
            c51.intoArray(c, o + 5 * ldc + L);
        }
        return j;
    }

    /** The column blocks of 1 vector(s) of {@link #mm6} from column j on; returns the first column left. */
    private static int mm6Blocks1(float[] a, int aOff, int ais, float[] b, int bOff, int ldb, float[] c, int cOff,
                                 int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais, a4 = a3 + ais, a5 = a4 + ais;
        for (; j + L <= cols; j += L) {
            FloatVector z = FloatVector.zero(SP), c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z;
            for (int kk = 0; kk < k; kk++) {
                FloatVector bv = FloatVector.fromArray(SP, b, bOff + kk * ldb + j);
                c0 = bv.fma(FloatVector.broadcast(SP, a[a0 + kk]), c0);
                c1 = bv.fma(FloatVector.broadcast(SP, a[a1 + kk]), c1);
                c2 = bv.fma(FloatVector.broadcast(SP, a[a2 + kk]), c2);
                c3 = bv.fma(FloatVector.broadcast(SP, a[a3 + kk]), c3);
                c4 = bv.fma(FloatVector.broadcast(SP, a[a4 + kk]), c4);
                c5 = bv.fma(FloatVector.broadcast(SP, a[a5 + kk]), c5);
            }
            int o = cOff + j;
            c0.intoArray(c, o);
            c1.intoArray(c, o + ldc);
            c2.intoArray(c, o + 2 * ldc);
            c3.intoArray(c, o + 3 * ldc);
            c4.intoArray(c, o + 4 * ldc);
            c5.intoArray(c, o + 5 * ldc);
        }
        return j;
    }
}
