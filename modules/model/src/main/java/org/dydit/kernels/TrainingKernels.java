package org.dydit.kernels;

import java.nio.FloatBuffer;

/**
 * The fused element-wise parts of a DiT block in the training engine, forward and backward, over {@link NdBuffer}s.
 * float32 arrays (training) stage their rows in heap arrays and run the row primitives of {@link VectorKernels};
 * float64 arrays (the gradient checks) run the same functions as plain double loops, the reference the float32
 * path is tested against.
 *
 * <p>Layouts: activations are row-major (M = B*T rows, width D); row r belongs to sample {@code r / T}.
 * Per-sample modulation comes from the adaLN output {@code ada} (B, stride) whose chunks start at the given
 * column offsets. Optional DyDiT masks are null when unused: {@code headMask} (B, H), {@code chanMask}
 * (B, G) over G contiguous channel groups of the MLP hidden layer, {@code tokMask} (B*T). Gradient outputs for
 * masks are only written when their buffer is non-null.
 *
 * <p>Reductions over tokens (bias-free per-sample sums for shift, scale, gate and mask gradients) are done per
 * sample by one thread, so results do not depend on the thread count: a training step is reproducible bit for bit.
 */
public final class TrainingKernels {
    private TrainingKernels() {}

    // ---------------------------------------------------------------- LayerNorm (no affine) + modulate
    // TrainingKernels move whole rows between the ND4J buffer and heap arrays (bulk copies), so the arithmetic runs on plain
    // arrays; element-wise buffer access is ~10x slower here.

    private static FloatBuffer floats(NdBuffer b) {
        return b.bytes().asFloatBuffer();
    }

    /** xhat = LN(x), rstd per row, y = xhat * (1 + scale[b]) + shift[b]. */
    public static void lnModulate(NdBuffer x, NdBuffer xhat, NdBuffer rstd, NdBuffer ada, int adaStride, int shiftOff, int scaleOff,
                                  NdBuffer y, int tokens, int d, double eps) {
        if (x.isFloat()) {
            lnModulate32(x, xhat, rstd, ada, adaStride, shiftOff, scaleOff, y, tokens, d, eps);
            return;
        }
        int rows = x.n / d;
        KernelThreads.range(rows, 8, (r0, r1) -> {
            double[] xr = new double[d], sc = new double[d], sh = new double[d], out = new double[d];
            int lastB = -1;
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                if (b != lastB) {
                    ada.read(b * adaStride + scaleOff, sc, 0, d);
                    ada.read(b * adaStride + shiftOff, sh, 0, d);
                    for (int j = 0; j < d; j++) sc[j] += 1;
                    lastB = b;
                }
                x.read(r * d, xr, 0, d);
                double s = 0;
                for (int j = 0; j < d; j++) s += xr[j];
                double mean = s / d;
                double v = 0;
                for (int j = 0; j < d; j++) {
                    double c = xr[j] - mean;
                    v += c * c;
                }
                double rs = 1.0 / Math.sqrt(v / d + eps);
                for (int j = 0; j < d; j++) xr[j] = (xr[j] - mean) * rs;
                for (int j = 0; j < d; j++) out[j] = xr[j] * sc[j] + sh[j];
                xhat.write(r * d, xr, 0, d);
                y.write(r * d, out, 0, d);
                rstd.set(r, rs);
            }
        });
    }

    /**
     * Backward of {@link #lnModulate}: writes d shift and d scale into {@code dAda} and adds the input gradient
     * to {@code dx} (which already holds the residual path's gradient).
     */
    public static void lnModulateBackward(NdBuffer dy, NdBuffer xhat, NdBuffer rstd, NdBuffer ada, int adaStride, int shiftOff,
                                          int scaleOff, NdBuffer dAda, NdBuffer dx, int tokens, int d) {
        if (dy.isFloat()) {
            lnModulateBackward32(dy, xhat, rstd, ada, adaStride, shiftOff, scaleOff, dAda, dx, tokens, d);
            return;
        }
        int samples = dy.n / d / tokens;
        KernelThreads.range(samples, 1, (b0, b1) -> {
            double[] dShift = new double[d], dScale = new double[d], g = new double[d];
            double[] dyr = new double[d], hr = new double[d], dxr = new double[d], dh = new double[d];
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(dShift, 0);
                java.util.Arrays.fill(dScale, 0);
                ada.read(b * adaStride + scaleOff, g, 0, d);
                for (int j = 0; j < d; j++) g[j] += 1;
                for (int t = 0; t < tokens; t++) {
                    int r = b * tokens + t;
                    dy.read(r * d, dyr, 0, d);
                    xhat.read(r * d, hr, 0, d);
                    dx.read(r * d, dxr, 0, d);
                    double m1 = 0, m2 = 0;
                    for (int j = 0; j < d; j++) {
                        dShift[j] += dyr[j];
                        dScale[j] += dyr[j] * hr[j];
                        dh[j] = dyr[j] * g[j];
                    }
                    for (int j = 0; j < d; j++) {
                        m1 += dh[j];
                        m2 += dh[j] * hr[j];
                    }
                    m1 /= d;
                    m2 /= d;
                    double rs = rstd.get(r);
                    for (int j = 0; j < d; j++) dxr[j] += rs * (dh[j] - m1 - hr[j] * m2);
                    dx.write(r * d, dxr, 0, d);
                }
                dAda.write(b * adaStride + shiftOff, dShift, 0, d);
                dAda.write(b * adaStride + scaleOff, dScale, 0, d);
            }
        });
    }

    // ---------------------------------------------------------------- gated residual

    /**
     * {@code a += bias} (kept: the gate's gradient needs it), then
     * {@code out = x + gate[b] * tok[r] * a}. {@code out} may be {@code x}.
     */
    public static void gatedResidual(NdBuffer x, NdBuffer a, NdBuffer bias, NdBuffer ada, int adaStride, int gateOff, NdBuffer tokMask,
                                     NdBuffer out, int tokens, int d) {
        int rows = x.n / d;
        KernelThreads.range(rows, 8, (r0, r1) -> {
            double[] xr = new double[d], ar = new double[d], gate = new double[d], br = new double[d];
            if (bias != null) bias.read(0, br, 0, d);
            int lastB = -1;
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                if (b != lastB) {
                    ada.read(b * adaStride + gateOff, gate, 0, d);
                    lastB = b;
                }
                double tm = tokMask == null ? 1 : tokMask.get(r);
                x.read(r * d, xr, 0, d);
                a.read(r * d, ar, 0, d);
                if (bias != null) {
                    for (int j = 0; j < d; j++) ar[j] += br[j];
                    a.write(r * d, ar, 0, d);
                }
                for (int j = 0; j < d; j++) xr[j] += gate[j] * tm * ar[j];
                out.write(r * d, xr, 0, d);
            }
        });
    }

    /** Backward of {@link #gatedResidual} for the branch: da, d gate (into dAda), d tok (per row). */
    public static void gatedResidualBackward(NdBuffer dOut, NdBuffer a, NdBuffer ada, int adaStride, int gateOff, NdBuffer tokMask,
                                             NdBuffer da, NdBuffer dAda, NdBuffer dTok, int tokens, int d) {
        int samples = dOut.n / d / tokens;
        KernelThreads.range(samples, 1, (b0, b1) -> {
            double[] dGate = new double[d], gate = new double[d], go = new double[d], ar = new double[d], dar = new double[d];
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(dGate, 0);
                ada.read(b * adaStride + gateOff, gate, 0, d);
                for (int t = 0; t < tokens; t++) {
                    int r = b * tokens + t;
                    double tm = tokMask == null ? 1 : tokMask.get(r);
                    dOut.read(r * d, go, 0, d);
                    a.read(r * d, ar, 0, d);
                    double dt = 0;
                    for (int j = 0; j < d; j++) {
                        dGate[j] += go[j] * tm * ar[j];
                        dar[j] = go[j] * gate[j] * tm;
                    }
                    if (dTok != null) {
                        for (int j = 0; j < d; j++) dt += go[j] * gate[j] * ar[j];
                        dTok.set(r, dt);
                    }
                    da.write(r * d, dar, 0, d);
                }
                dAda.write(b * adaStride + gateOff, dGate, 0, d);
            }
        });
    }

    // ---------------------------------------------------------------- GELU (tanh form) with channel-group mask

    /** {@code f += bias} (kept), then {@code g = gelu(m * f)} with m the channel-group mask of the row's sample. */
    public static void gelu(NdBuffer f, NdBuffer bias, NdBuffer chanMask, int groups, NdBuffer g, int tokens, int width) {
        if (f.isFloat()) {
            gelu32(f, bias, chanMask, groups, g, tokens, width);
            return;
        }
        int rows = f.n / width;
        int gs = width / groups;
        KernelThreads.range(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * width;
                int b = r / tokens;
                for (int j = 0; j < width; j++) {
                    double v = f.get(base + j);
                    if (bias != null) {
                        v += bias.get(j);
                        f.set(base + j, v);
                    }
                    double m = chanMask == null ? 1 : chanMask.get(b * groups + j / gs);
                    g.set(base + j, VectorKernels.gelu(m * v));
                }
            }
        });
    }

    /** In place: {@code dg <- m * gelu'(m f) * dg}; d mask per (sample, group) into {@code dChan} when non-null. */
    public static void geluBackward(NdBuffer f, NdBuffer chanMask, int groups, NdBuffer dg, NdBuffer dChan, int tokens, int width) {
        if (f.isFloat()) {
            geluBackward32(f, chanMask, groups, dg, dChan, tokens, width);
            return;
        }
        int samples = f.n / width / tokens;
        int gs = width / groups;
        KernelThreads.range(samples, 1, (b0, b1) -> {
            double[] acc = new double[groups];
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(acc, 0);
                for (int t = 0; t < tokens; t++) {
                    int base = (b * tokens + t) * width;
                    for (int j = 0; j < width; j++) {
                        double v = f.get(base + j);
                        double m = chanMask == null ? 1 : chanMask.get(b * groups + j / gs);
                        double dpre = dg.get(base + j) * VectorKernels.geluGrad(m * v);
                        acc[j / gs] += dpre * v;
                        dg.set(base + j, m * dpre);
                    }
                }
                if (dChan != null) for (int k = 0; k < groups; k++) dChan.set(b * groups + k, acc[k]);
            }
        });
    }

    // ---------------------------------------------------------------- softmax over the last axis

    /** Row-wise softmax in place, rows of length {@code len}. */
    public static void softmaxRows(NdBuffer s, int len) {
        if (s.isFloat()) {
            FloatBuffer sb = floats(s);
            KernelThreads.range(s.n / len, 16, (r0, r1) -> {
                float[] row = new float[len];
                for (int r = r0; r < r1; r++) {
                    sb.get(r * len, row, 0, len);
                    VectorKernels.softmax(row, 0, len);
                    sb.put(r * len, row, 0, len);
                }
            });
            return;
        }
        int rows = s.n / len;
        KernelThreads.range(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * len;
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) mx = Math.max(mx, s.get(base + j));
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    double e = Math.exp(s.get(base + j) - mx);
                    s.set(base + j, e);
                    sum += e;
                }
                double inv = 1.0 / sum;
                for (int j = 0; j < len; j++) s.set(base + j, s.get(base + j) * inv);
            }
        });
    }

    /** In place: {@code dp <- p * (dp - sum(dp * p))} per row (the softmax Jacobian-vector product). */
    public static void softmaxBackward(NdBuffer p, NdBuffer dp, int len) {
        if (p.isFloat()) {
            FloatBuffer pb = floats(p), db = floats(dp);
            KernelThreads.range(p.n / len, 16, (r0, r1) -> {
                float[] pr = new float[len], dr = new float[len];
                for (int r = r0; r < r1; r++) {
                    pb.get(r * len, pr, 0, len);
                    db.get(r * len, dr, 0, len);
                    VectorKernels.softmaxBackward(pr, dr, 0, len);
                    db.put(r * len, dr, 0, len);
                }
            });
            return;
        }
        int rows = p.n / len;
        KernelThreads.range(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * len;
                double dot = 0;
                for (int j = 0; j < len; j++) dot += p.get(base + j) * dp.get(base + j);
                for (int j = 0; j < len; j++) dp.set(base + j, p.get(base + j) * (dp.get(base + j) - dot));
            }
        });
    }

    // ---------------------------------------------------------------- head layout changes

    /**
     * Splits the fused projection {@code qkv} (M, 3D) plus {@code bias} (3D) into head-major Q, K, V
     * (B*H, T, hd); Q is multiplied by {@code qScale} (hd^-1/2) here so the score gemm needs no extra pass.
     */
    public static void splitHeads(NdBuffer qkv, NdBuffer bias, NdBuffer q, NdBuffer k, NdBuffer v, double qScale, int tokens, int heads, int hd) {
        int d = heads * hd;
        int rows = qkv.n / (3 * d);
        KernelThreads.range(rows, 8, (r0, r1) -> {
            double[] row = new double[3 * d], br = new double[3 * d];
            if (bias != null) bias.read(0, br, 0, 3 * d);
            for (int r = r0; r < r1; r++) {
                int b = r / tokens, t = r % tokens;
                qkv.read(r * 3 * d, row, 0, 3 * d);
                for (int j = 0; j < 3 * d; j++) row[j] += br[j];
                for (int j = 0; j < d; j++) row[j] *= qScale;
                for (int h = 0; h < heads; h++) {
                    int dst = ((b * heads + h) * tokens + t) * hd;
                    q.write(dst, row, h * hd, hd);
                    k.write(dst, row, d + h * hd, hd);
                    v.write(dst, row, 2 * d + h * hd, hd);
                }
            }
        });
    }

    /** Concatenates head outputs (B*H, T, hd) into (M, D), scaling head h of sample b by headMask[b, h]. */
    public static void mergeHeads(NdBuffer oh, NdBuffer headMask, NdBuffer o, int tokens, int heads, int hd) {
        int d = heads * hd;
        int rows = o.n / d;
        KernelThreads.range(rows, 8, (r0, r1) -> {
            double[] row = new double[d];
            for (int r = r0; r < r1; r++) {
                int b = r / tokens, t = r % tokens;
                for (int h = 0; h < heads; h++) {
                    oh.read(((b * heads + h) * tokens + t) * hd, row, h * hd, hd);
                    if (headMask != null) {
                        double m = headMask.get(b * heads + h);
                        for (int e = h * hd; e < (h + 1) * hd; e++) row[e] *= m;
                    }
                }
                o.write(r * d, row, 0, d);
            }
        });
    }

    /** Backward of {@link #mergeHeads}: d oh = mask * split(dO); d mask[b,h] = sum split(dO) * oh. */
    public static void mergeHeadsBackward(NdBuffer dO, NdBuffer oh, NdBuffer headMask, NdBuffer dOh, NdBuffer dHead, int tokens, int heads, int hd) {
        int d = heads * hd;
        int samples = dO.n / d / tokens;
        KernelThreads.range(samples, 1, (b0, b1) -> {
            double[] g = new double[hd], o = new double[hd];
            for (int b = b0; b < b1; b++) {
                for (int h = 0; h < heads; h++) {
                    double m = headMask == null ? 1 : headMask.get(b * heads + h);
                    double acc = 0;
                    for (int t = 0; t < tokens; t++) {
                        int dst = ((b * heads + h) * tokens + t) * hd;
                        dO.read((b * tokens + t) * d + h * hd, g, 0, hd);
                        if (dHead != null) {
                            oh.read(dst, o, 0, hd);
                            for (int e = 0; e < hd; e++) acc += g[e] * o[e];
                        }
                        if (m != 1) for (int e = 0; e < hd; e++) g[e] *= m;
                        dOh.write(dst, g, 0, hd);
                    }
                    if (dHead != null) dHead.set(b * heads + h, acc);
                }
            }
        });
    }

    /** Backward of {@link #splitHeads}: d Q (times qScale), d K, d V back into the fused (M, 3D) layout. */
    public static void mergeQkvGrad(NdBuffer dq, NdBuffer dk, NdBuffer dv, double qScale, NdBuffer dqkv, int tokens, int heads, int hd) {
        int d = heads * hd;
        int rows = dqkv.n / (3 * d);
        KernelThreads.range(rows, 8, (r0, r1) -> {
            double[] row = new double[3 * d];
            for (int r = r0; r < r1; r++) {
                int b = r / tokens, t = r % tokens;
                for (int h = 0; h < heads; h++) {
                    int src = ((b * heads + h) * tokens + t) * hd;
                    dq.read(src, row, h * hd, hd);
                    dk.read(src, row, d + h * hd, hd);
                    dv.read(src, row, 2 * d + h * hd, hd);
                }
                for (int j = 0; j < d; j++) row[j] *= qScale;
                dqkv.write(r * 3 * d, row, 0, 3 * d);
            }
        });
    }

    // ---------------------------------------------------------------- small helpers

    /** out = x * sigmoid(x). */
    public static void silu(NdBuffer x, NdBuffer out) {
        for (int i = 0; i < x.n; i++) {
            double v = x.get(i);
            out.set(i, v / (1 + Math.exp(-v)));
        }
    }

    /** dx (+)= dOut * silu'(x); accumulates when {@code accumulate}. */
    public static void siluBackward(NdBuffer x, NdBuffer dOut, NdBuffer dx, boolean accumulate) {
        for (int i = 0; i < x.n; i++) {
            double v = x.get(i);
            double s = 1 / (1 + Math.exp(-v));
            double g = dOut.get(i) * s * (1 + v * (1 - s));
            if (accumulate) dx.add(i, g);
            else dx.set(i, g);
        }
    }

    /** y[r, :] += bias for every row. */
    public static void addRowBias(NdBuffer y, NdBuffer bias) {
        int w = bias.n;
        int rows = y.n / w;
        KernelThreads.range(rows, 64, (r0, r1) -> {
            double[] br = new double[w], row = new double[w];
            bias.read(0, br, 0, w);
            for (int r = r0; r < r1; r++) {
                y.read(r * w, row, 0, w);
                for (int j = 0; j < w; j++) row[j] += br[j];
                y.write(r * w, row, 0, w);
            }
        });
    }

    /** Row blocks of a column sum: a fixed count, so the summation order never depends on the thread count. */
    private static final int SUM_BLOCKS = 16;

    /** out[j] = sum over rows of y[r, j] (bias gradients), in a fixed order. */
    public static void columnSums(NdBuffer y, NdBuffer out) {
        int w = out.n;
        int rows = y.n / w;
        int blocks = Math.max(1, Math.min(SUM_BLOCKS, rows));
        double[][] part = new double[blocks][w];
        KernelThreads.range(blocks, 1, (c0, c1) -> {
            double[] row = new double[w];
            for (int c = c0; c < c1; c++) {
                double[] acc = part[c];
                int from = (int) ((long) rows * c / blocks), to = (int) ((long) rows * (c + 1) / blocks);
                for (int r = from; r < to; r++) {
                    y.read(r * w, row, 0, w);
                    for (int j = 0; j < w; j++) acc[j] += row[j];
                }
            }
        });
        double[] total = part[0];
        for (int c = 1; c < blocks; c++) for (int j = 0; j < w; j++) total[j] += part[c][j];
        out.write(0, total, 0, w);
    }

    // ---------------------------------------------------------------- the float32 paths

    private static void lnModulate32(NdBuffer x, NdBuffer xhat, NdBuffer rstd, NdBuffer ada, int adaStride, int shiftOff, int scaleOff,
                                     NdBuffer y, int tokens, int d, double eps) {
        FloatBuffer xb = floats(x), hb = floats(xhat), yb = floats(y), ab = floats(ada);
        KernelThreads.range(x.n / d, 8, (r0, r1) -> {
            float[] xr = new float[d], hr = new float[d], yr = new float[d], sc = new float[d], sh = new float[d];
            int lastB = -1;
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                if (b != lastB) {
                    scale1(ab, b * adaStride + scaleOff, sc);
                    ab.get(b * adaStride + shiftOff, sh, 0, d);
                    lastB = b;
                }
                xb.get(r * d, xr, 0, d);
                float mean = VectorKernels.sum(xr, 0, d) / d;
                float rs = VectorKernels.rstd(xr, d, mean, eps);
                VectorKernels.normModulate(xr, mean, rs, sc, sh, yr, hr, d);
                hb.put(r * d, hr, 0, d);
                yb.put(r * d, yr, 0, d);
                rstd.set(r, rs);
            }
        });
    }

    /** {@code dst = 1 + ada[off .. off + dst.length)}. */
    private static void scale1(FloatBuffer ada, int off, float[] dst) {
        ada.get(off, dst, 0, dst.length);
        for (int j = 0; j < dst.length; j++) dst[j] += 1f;
    }

    private static void lnModulateBackward32(NdBuffer dy, NdBuffer xhat, NdBuffer rstd, NdBuffer ada, int adaStride, int shiftOff,
                                             int scaleOff, NdBuffer dAda, NdBuffer dx, int tokens, int d) {
        FloatBuffer yb = floats(dy), hb = floats(xhat), ab = floats(ada), db = floats(dAda), xb = floats(dx);
        KernelThreads.range(dy.n / d / tokens, 1, (b0, b1) -> {
            float[] dShift = new float[d], dScale = new float[d], g = new float[d];
            float[] dyr = new float[d], hr = new float[d], dxr = new float[d];
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(dShift, 0);
                java.util.Arrays.fill(dScale, 0);
                scale1(ab, b * adaStride + scaleOff, g);
                for (int t = 0; t < tokens; t++) {
                    int r = b * tokens + t;
                    yb.get(r * d, dyr, 0, d);
                    hb.get(r * d, hr, 0, d);
                    xb.get(r * d, dxr, 0, d);
                    VectorKernels.normModulateBackward(dyr, hr, g, (float) rstd.get(r), dShift, dScale, dxr, d);
                    xb.put(r * d, dxr, 0, d);
                }
                db.put(b * adaStride + shiftOff, dShift, 0, d);
                db.put(b * adaStride + scaleOff, dScale, 0, d);
            }
        });
    }

    private static void gelu32(NdBuffer f, NdBuffer bias, NdBuffer chanMask, int groups, NdBuffer g, int tokens, int width) {
        FloatBuffer fb = floats(f), gb = floats(g);
        float[] br = bias == null ? null : new float[width];
        if (br != null) floats(bias).get(0, br, 0, width);
        int gs = width / groups;
        KernelThreads.range(f.n / width, 8, (r0, r1) -> {
            float[] fr = new float[width], gr = new float[width];
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                fb.get(r * width, fr, 0, width);
                for (int k = 0; k < groups; k++) {
                    float m = chanMask == null ? 1f : (float) chanMask.get(b * groups + k);
                    VectorKernels.gelu(fr, k * gs, br, k * gs, m, gr, k * gs, gs);
                }
                if (br != null) fb.put(r * width, fr, 0, width);
                gb.put(r * width, gr, 0, width);
            }
        });
    }

    /**
     * Per-row partial sums of d mask first (rows run in parallel), then summed per sample in token order, so the
     * bits do not depend on the thread count.
     */
    private static void geluBackward32(NdBuffer f, NdBuffer chanMask, int groups, NdBuffer dg, NdBuffer dChan, int tokens, int width) {
        FloatBuffer fb = floats(f), db = floats(dg);
        int rows = f.n / width, gs = width / groups;
        double[] part = dChan == null ? null : new double[rows * groups];
        KernelThreads.range(rows, 8, (r0, r1) -> {
            float[] fr = new float[width], dr = new float[width];
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                fb.get(r * width, fr, 0, width);
                db.get(r * width, dr, 0, width);
                for (int k = 0; k < groups; k++) {
                    float m = chanMask == null ? 1f : (float) chanMask.get(b * groups + k);
                    float s = VectorKernels.geluBackward(fr, k * gs, m, dr, k * gs, gs);
                    if (part != null) part[r * groups + k] = s;
                }
                db.put(r * width, dr, 0, width);
            }
        });
        if (part == null) return;
        for (int b = 0; b < rows / tokens; b++) {
            for (int k = 0; k < groups; k++) {
                double s = 0;
                for (int t = 0; t < tokens; t++) s += part[(b * tokens + t) * groups + k];
                dChan.set(b * groups + k, s);
            }
        }
    }
}
