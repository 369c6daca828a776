package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;

import java.nio.FloatBuffer;

/**
 * The element-wise parts of an inference block, row by row over off-heap float32 buffers (bulk row copies to
 * heap, {@link VectorKernels} arithmetic, bulk copies back). Row r of the residual stream belongs to sample r / T.
 * A {@code rows} index list selects the token rows that SDT keeps; {@code null} means every row in order.
 * Per-sample modulation comes from the adaLN output {@code ada} (B x stride, heap) at the given column offsets.
 */
public final class InferenceKernels {
    private InferenceKernels() {}

    private static int row(int[] rows, int i) {
        return rows == null ? i : rows[i];
    }

    /**
     * {@code y[i] = LN(x[r]) * (1 + scale[b]) + shift[b]} with r = rows[i], b = r / tokens (LayerNorm without
     * affine, eps 1e-6): the modulated input of rows of an attention or MLP branch, gathered densely into y.
     */
    public static void lnModulate(FloatBuffer x, int[] rows, int n, float[] ada, int adaStride, int shiftOff, int scaleOff,
                           int tokens, int d, FloatBuffer y) {
        KernelThreads.range(n, 16, (i0, i1) -> {
            float[] xr = new float[d], yr = new float[d], sc = new float[d], sh = new float[d];
            int lastB = -1;
            for (int i = i0; i < i1; i++) {
                int r = row(rows, i), b = r / tokens;
                if (b != lastB) {
                    for (int j = 0; j < d; j++) sc[j] = 1f + ada[b * adaStride + scaleOff + j];
                    System.arraycopy(ada, b * adaStride + shiftOff, sh, 0, d);
                    lastB = b;
                }
                x.get(r * d, xr, 0, d);
                float mean = VectorKernels.sum(xr, 0, d) / d;
                float rs = VectorKernels.rstd(xr, d, mean, 1e-6);
                VectorKernels.normModulate(xr, mean, rs, sc, sh, yr, null, d);
                y.put(i * d, yr, 0, d);
            }
        });
    }

    /**
     * {@code x[r] += gate[b] * (a[i] + bias)} with r = rows[i]: the gated residual update of a branch computed on
     * dense rows a, scattered back into the residual stream (rows not listed stay unchanged).
     */
    public static void gatedScatterAdd(FloatBuffer x, int[] rows, int n, FloatBuffer a, float[] bias, float[] ada,
                                int adaStride, int gateOff, int tokens, int d) {
        KernelThreads.range(n, 16, (i0, i1) -> {
            float[] xr = new float[d], ar = new float[d], gate = new float[d];
            int lastB = -1;
            for (int i = i0; i < i1; i++) {
                int r = row(rows, i), b = r / tokens;
                if (b != lastB) {
                    System.arraycopy(ada, b * adaStride + gateOff, gate, 0, d);
                    lastB = b;
                }
                x.get(r * d, xr, 0, d);
                a.get(i * d, ar, 0, d);
                VectorKernels.gatedAdd(xr, 0, ar, 0, bias, gate, 0, d);
                x.put(r * d, xr, 0, d);
            }
        });
    }

    /** In place over n rows of width w: {@code f = gelu_tanh(f + bias)}. */
    public static void biasGelu(FloatBuffer f, int n, int w, float[] bias) {
        KernelThreads.range(n, 16, (i0, i1) -> {
            float[] fr = new float[w];
            for (int i = i0; i < i1; i++) {
                f.get(i * w, fr, 0, w);
                VectorKernels.gelu(fr, 0, bias, 0, 1f, fr, 0, w);
                f.put(i * w, fr, 0, w);
            }
        });
    }

    /** In place over n rows of width w: {@code y += bias}. */
    static void addBias(FloatBuffer y, int n, int w, float[] bias) {
        float[] r = new float[w];
        for (int i = 0; i < n; i++) {
            y.get(i * w, r, 0, w);
            for (int j = 0; j < w; j++) r[j] += bias[j];
            y.put(i * w, r, 0, w);
        }
    }

    /**
     * The attention branch's gated residual update over all n rows, {@code x[r] += gate[b] * (a[r] + bias)}, and
     * SDT's token router on the updated rows in the same pass, so each row of the residual stream is read once:
     * {@code logit[r] = b2 + sum_j w2[j] * relu(b0[j] + W0[j, :] . x[r, :])}. {@code w0t} is W0 transposed to
     * (d, kp), its k = D/16 columns zero-padded to kp (a multiple of the vector length), and b0, w2 padded with
     * zeros to kp (padded columns give relu(0 + 0) * 0), so that six rows at a time run through the
     * register-blocked product; as a backend gemm the narrow output is slow.
     */
    public static void gatedAddTokenRouter(FloatBuffer x, int n, FloatBuffer a, float[] bias, float[] ada, int adaStride,
                                    int gateOff, int tokens, int d, float[] w0t, int kp, float[] b0, float[] w2,
                                    float b2, float[] logits) {
        checkRouter(kp, b0, w2);
        KernelThreads.range((n + 5) / 6, 8, (q0, q1) -> {
            // in a last block of fewer than six rows the rows past n stay zero or stale: their logits are not used
            float[] xr = new float[6 * d], ar = new float[6 * d], h = new float[6 * kp];
            for (int q = q0; q < q1; q++) {
                int r0 = 6 * q, rows = Math.min(6, n - r0);
                x.get(r0 * d, xr, 0, rows * d);
                a.get(r0 * d, ar, 0, rows * d);
                for (int i = 0; i < rows; i++) {
                    int g = ((r0 + i) / tokens) * adaStride + gateOff;
                    VectorKernels.gatedAdd(xr, i * d, ar, i * d, bias, ada, g, d);
                }
                x.put(r0 * d, xr, 0, rows * d);
                routeRows(xr, rows, r0, d, w0t, kp, b0, w2, b2, h, logits);
            }
        });
    }

    private static void checkRouter(int kp, float[] b0, float[] w2) {
        if (b0.length != kp || w2.length != kp) {
            throw new IllegalArgumentException("router bias and output weight must be padded to " + kp + ", got "
                    + b0.length + " and " + w2.length);
        }
    }

    /** Logits of up to six rows held in xr (row i at i*d), written to logits[r0 + i]; h is (6, kp) scratch. */
    private static void routeRows(float[] xr, int rows, int r0, int d, float[] w0t, int kp, float[] b0, float[] w2,
                                  float b2, float[] h, float[] logits) {
        MatmulKernel.multiply(xr, 0, d, 1, w0t, 0, kp, h, 0, kp, MatmulKernel.ROWS, kp, d);
        boolean vec = VectorKernels.ON && kp % VectorKernels.L == 0;
        for (int i = 0; i < rows; i++) {
            if (vec) {
                FloatVector acc = FloatVector.zero(VectorKernels.SP);
                for (int j = 0; j < kp; j += VectorKernels.L) {
                    FloatVector z = FloatVector.fromArray(VectorKernels.SP, h, i * kp + j).add(FloatVector.fromArray(VectorKernels.SP, b0, j));
                    // ReLU as compare + blend: the vector max carries Math.max's NaN and -0.0 rules and is slower
                    acc = z.blend(0f, z.lt(0f)).fma(FloatVector.fromArray(VectorKernels.SP, w2, j), acc);
                }
                logits[r0 + i] = b2 + VecMath.addLanes(acc);
            } else {
                double z = b2;
                for (int j = 0; j < kp; j++) z += w2[j] * Math.max(0f, h[i * kp + j] + b0[j]);
                logits[r0 + i] = (float) z;
            }
        }
    }

    /** W (k, d) row-major -> its transpose (d, kp) with zero columns k..kp-1. */
    public static float[] transposePadded(float[] w, int k, int d, int kp) {
        float[] t = new float[d * kp];
        for (int j = 0; j < k; j++) for (int i = 0; i < d; i++) t[i * kp + j] = w[j * d + i];
        return t;
    }

    /**
     * {@code out (n, width) = x (n, in) wt + bias} for {@code wt} (in, width) row-major on the heap; x and out have
     * at least n rows. Parallel over column panels of wt, each panel
     * kept in cache while all blocks of rows pass over it: the adaLN modulations, B rows against a wide weight.
     */
    public static void linearRows(float[] x, int n, int in, float[] wt, float[] bias, float[] out) {
        linearRows(x, n, in, new float[][]{wt}, new float[][]{bias}, new float[][]{out});
    }

    /**
     * {@link #linearRows} for several weights on the same rows (every block's adaLN at once): one parallel loop over
     * the column panels of all of them, so the kernel threads are handed work once, not once per weight.
     */
    public static void linearRows(float[] x, int n, int in, float[][] wt, float[][] bias, float[][] out) {
        int panel = 4 * VectorKernels.L;
        int[] first = new int[wt.length + 1];   // first[i]: index of weight i's first panel in the joint loop
        for (int i = 0; i < wt.length; i++) first[i + 1] = first[i] + (bias[i].length + panel - 1) / panel;
        KernelThreads.range(first[wt.length], 4, (p0, p1) -> {
            int i = 0;
            for (int p = p0; p < p1; p++) {
                while (p >= first[i + 1]) i++;
                int width = bias[i].length, j0 = (p - first[i]) * panel, cols = Math.min(panel, width - j0);
                float[] w = wt[i], o = out[i], bi = bias[i];
                MatmulKernel.multiply(x, 0, in, 1, w, j0, width, o, j0, width, n, cols, in);
                for (int r = 0; r < n; r++) for (int j = j0; j < j0 + cols; j++) o[r * width + j] += bi[j];
            }
        });
    }
}
