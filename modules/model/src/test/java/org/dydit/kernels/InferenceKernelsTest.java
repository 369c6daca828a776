package org.dydit.kernels;

import org.dydit.testkit.Approx;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;

/** The dynamic engine's row kernels against plain double loops, for widths that hit every blocking path and the scalar tails. */
class InferenceKernelsTest {
    static float[] rnd(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void linearRowsMatchesLoops() {
        Random r = new Random(6);
        for (int n : new int[]{1, 4, 6}) {
            int in = 40, width = 5 * VectorKernels.L + 3;   // arrays of exactly n rows: no padding is read or written
            float[] x = new float[n * in], xr = rnd(n * in, r), wt = rnd(in * width, r), bias = rnd(width, r), out = new float[n * width];
            System.arraycopy(xr, 0, x, 0, xr.length);
            InferenceKernels.linearRows(x, n, in, wt, bias, out);
            double[] want = new double[n * width];
            float[] got = new float[n * width];
            for (int i = 0; i < n; i++) for (int j = 0; j < width; j++) {
                double acc = bias[j];
                for (int kk = 0; kk < in; kk++) acc += (double) x[i * in + kk] * wt[kk * width + j];
                want[i * width + j] = acc;
                got[i * width + j] = out[i * width + j];
            }
            Approx.assertClose("linearRows n=" + n, want, got, 1e-4, 1e-5);
        }
    }

    @Test
    void tokenRouterMatchesLoops() {
        Random r = new Random(2);
        for (int d : new int[]{32, 384, 40}) {
            int k = d / 16 == 0 ? 1 : d / 16, kp = (k + VectorKernels.L - 1) / VectorKernels.L * VectorKernels.L, n = 13;
            float[] x = rnd(n * d, r), w0 = rnd(k * d, r), b0 = rnd(k, r), w2 = rnd(k, r), logits = new float[n];
            FloatBuffer xb = ByteBuffer.allocateDirect(4 * x.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
            xb.put(0, x);
            // zero gates leave the rows as they are: the pass computes the router alone
            InferenceKernels.gatedAddTokenRouter(xb, n, direct(new float[n * d]), new float[d], new float[6 * d], 6 * d, 2 * d, n, d,
                    org.dydit.routing.TokenRouter.Packed.of(w0, b0, w2, 0f, d, VectorKernels.L).w0t(), kp, java.util.Arrays.copyOf(b0, kp),
                    java.util.Arrays.copyOf(w2, kp), 0.3f, logits);
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                double z = 0.3;
                for (int j = 0; j < k; j++) {
                    double h = b0[j];
                    for (int c = 0; c < d; c++) h += (double) w0[j * d + c] * x[i * d + c];
                    z += w2[j] * Math.max(0, h);
                }
                want[i] = z;
            }
            Approx.assertClose("token router d=" + d, want, logits, 1e-3, 1e-5);
        }
    }

    /** Several weights in one joint panel loop give exactly what each gives alone (widths with and without tails). */
    @Test
    void linearRowsOverSeveralWeightsEqualsOneAtATime() {
        Random r = new Random(7);
        int n = 5, in = 24;
        int[] widths = {3 * VectorKernels.L, 5 * VectorKernels.L + 3, 7, 9 * VectorKernels.L};
        float[] x = new float[n * in];
        System.arraycopy(rnd(n * in, r), 0, x, 0, n * in);
        float[][] wt = new float[widths.length][], bias = new float[widths.length][], out = new float[widths.length][];
        for (int i = 0; i < widths.length; i++) {
            wt[i] = rnd(in * widths[i], r);
            bias[i] = rnd(widths[i], r);
            out[i] = new float[n * widths[i]];
        }
        InferenceKernels.linearRows(x, n, in, wt, bias, out);
        for (int i = 0; i < widths.length; i++) {
            float[] one = new float[n * widths[i]];
            InferenceKernels.linearRows(x, n, in, new float[][]{wt[i]}, new float[][]{bias[i]}, new float[][]{one});
            org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOf(one, n * widths[i]),
                    java.util.Arrays.copyOf(out[i], n * widths[i]), "weight " + i + " of width " + widths[i]);
        }
    }

    /** The fused pass gives exactly what the residual update and then the router give, rows straddling samples. */
    @Test
    void fusedAttentionResidualAndRouterEqualTwoPasses() {
        Random r = new Random(4);
        for (int d : new int[]{384, 40}) {
            int tokens = 7, batch = 3, n = tokens * batch, k = Math.max(1, d / 16), kp = (k + VectorKernels.L - 1) / VectorKernels.L * VectorKernels.L;
            float[] x = rnd(n * d, r), a = rnd(n * d, r), bias = rnd(d, r), ada = rnd(batch * 6 * d, r);
            float[] w0t = org.dydit.routing.TokenRouter.Packed.of(rnd(k * d, r), new float[k], new float[k], 0f, d, VectorKernels.L).w0t();
            float[] b0 = java.util.Arrays.copyOf(rnd(k, r), kp), w2 = java.util.Arrays.copyOf(rnd(k, r), kp);
            FloatBuffer x1 = direct(x), x2 = direct(x), ab = direct(a);
            float[] want = new float[n], got = new float[n];
            InferenceKernels.gatedScatterAdd(x1, null, n, ab, bias, ada, 6 * d, 2 * d, tokens, d);
            InferenceKernels.gatedAddTokenRouter(x1, n, ab, bias, new float[batch * 6 * d], 6 * d, 2 * d, tokens, d,
                    w0t, kp, b0, w2, -0.2f, want);   // zero gates: the router alone on the updated rows
            InferenceKernels.gatedAddTokenRouter(x2, n, ab, bias, ada, 6 * d, 2 * d, tokens, d, w0t, kp, b0, w2, -0.2f, got);
            float[] xw = new float[n * d], xg = new float[n * d];
            x1.get(0, xw);
            x2.get(0, xg);
            org.junit.jupiter.api.Assertions.assertArrayEquals(xw, xg, "residual stream d=" + d);
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, got, "router logits d=" + d);
            org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(x, xw), "the update changed the rows");
        }
    }

    private static FloatBuffer direct(float[] v) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * v.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(0, v);
        return b;
    }

    @Test
    void rowPrimitivesMatchLoops() {
        Random r = new Random(3);
        for (int n : new int[]{3, VectorKernels.L, 3 * VectorKernels.L + 5}) {
            float[] s = rnd(n, r), s2 = s.clone();
            VectorKernels.softmax(s2, 0, n);
            double m = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : s) m = Math.max(m, v);
            double[] want = new double[n];
            for (int i = 0; i < n; i++) sum += want[i] = Math.exp(s[i] - m);
            for (int i = 0; i < n; i++) want[i] /= sum;
            Approx.assertClose("softmax " + n, want, s2, 1e-6, 1e-5);
            float[] f = rnd(n, r), bias = rnd(n, r), g = f.clone();
            VectorKernels.gelu(g, 0, bias, 0, 1f, g, 0, n);
            double[] gw = new double[n];
            for (int i = 0; i < n; i++) {
                double x = f[i] + bias[i];
                gw[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            }
            Approx.assertClose("gelu " + n, gw, g, 1e-5, 1e-5);
        }
    }
}
