package org.dydit.inference;

import org.dydit.testkit.Approx;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;

/** The vector kernels against plain double loops, for widths that hit every blocking path and the scalar tails. */
class VecKernelsTest {
    static float[] rnd(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void fourRowProductMatchesLoops() {
        Random r = new Random(1);
        int l = Vec.L;
        for (int n : new int[]{l, 2 * l, 3 * l, 4 * l, 5 * l, 7 * l, 24, 5}) {
            for (int k : new int[]{1, 7, 64}) {
                int ais = k + 3;
                float[] a = rnd(4 * ais + 2, r), b = rnd(k * n, r), c = new float[4 * n];
                Vec.mm4(a, 2, ais, b, c, n, k);
                double[] want = new double[4 * n];
                for (int i = 0; i < 4; i++) for (int j = 0; j < n; j++) for (int kk = 0; kk < k; kk++) want[i * n + j] += (double) a[2 + i * ais + kk] * b[kk * n + j];
                Approx.assertClose("mm4 n=" + n + " k=" + k, want, c, 1e-4, 1e-5);
            }
        }
    }

    @Test
    void tokenRouterMatchesLoops() {
        Random r = new Random(2);
        for (int d : new int[]{32, 384, 40}) {
            int k = d / 16 == 0 ? 1 : d / 16, kp = (k + Vec.L - 1) / Vec.L * Vec.L, n = 13;
            float[] x = rnd(n * d, r), w0 = rnd(k * d, r), b0 = rnd(k, r), w2 = rnd(k, r), logits = new float[n];
            FloatBuffer xb = ByteBuffer.allocateDirect(4 * x.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
            xb.put(0, x);
            RowKernels.tokenRouter(xb, n, d, RowKernels.transposePadded(w0, k, d, kp), kp, b0, w2, 0.3f, logits);
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

    @Test
    void rowPrimitivesMatchLoops() {
        Random r = new Random(3);
        for (int n : new int[]{3, Vec.L, 3 * Vec.L + 5}) {
            float[] s = rnd(n, r), s2 = s.clone();
            Vec.softmax(s2, 0, n);
            double m = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : s) m = Math.max(m, v);
            double[] want = new double[n];
            for (int i = 0; i < n; i++) sum += want[i] = Math.exp(s[i] - m);
            for (int i = 0; i < n; i++) want[i] /= sum;
            Approx.assertClose("softmax " + n, want, s2, 1e-6, 1e-5);
            float[] f = rnd(n, r), bias = rnd(n, r), g = f.clone();
            Vec.biasGelu(g, 0, bias, n);
            double[] gw = new double[n];
            for (int i = 0; i < n; i++) {
                double x = f[i] + bias[i];
                gw[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            }
            Approx.assertClose("gelu " + n, gw, g, 1e-5, 1e-5);
        }
    }
}
