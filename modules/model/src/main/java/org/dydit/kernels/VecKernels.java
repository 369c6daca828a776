package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * float32 versions of the transcendental-heavy kernels with the (incubating) Vector API: GELU's tanh and
 * softmax's exp are ~10x faster than scalar {@code Math} calls here. Used only when the module
 * {@code jdk.incubator.vector} is present and works ({@link #AVAILABLE}); otherwise {@link Kernels} falls back
 * to its scalar loops, which compute the same function.
 */
public final class VecKernels {
    private VecKernels() {}

    private static final float C = (float) Kernels.GELU_C;
    private static final float A = (float) Kernels.GELU_A;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    // after the constants above: static initialisers run in textual order
    public static final boolean AVAILABLE = probe();

    private static boolean probe() {
        if (Boolean.getBoolean("dydit.engine.novector")) return false;
        try {
            VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
            ByteBuffer bb = ByteBuffer.allocateDirect(sp.length() * 4).order(NO);
            VecMath.tanh(FloatVector.broadcast(sp, 0.5f)).intoByteBuffer(bb, 0, NO);
            return Math.abs(bb.getFloat(0) - (float) Math.tanh(0.5)) < 1e-6;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Floats per vector of the preferred species. */
    static int lanes() {
        return FloatVector.SPECIES_PREFERRED.length();
    }

    private static VectorSpecies<Float> sp() {
        return FloatVector.SPECIES_PREFERRED;
    }

    static void gelu(Buf f, Buf bias, Buf chanMask, int groups, Buf g, int tokens, int width) {
        VectorSpecies<Float> sp = sp();
        int lanes = sp.length();
        ByteBuffer fb = f.bytes(), gb = g.bytes(), bb = bias == null ? null : bias.bytes();
        int rows = f.n / width;
        int gs = width / groups;
        Par.range(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                for (int k = 0; k < groups; k++) {
                    float m = chanMask == null ? 1f : (float) chanMask.get(b * groups + k);
                    int j0 = k * gs, j1 = j0 + gs;
                    int j = j0;
                    for (; j + lanes <= j1; j += lanes) {
                        int off = (r * width + j) * 4;
                        FloatVector x = FloatVector.fromByteBuffer(sp, fb, off, NO);
                        if (bb != null) {
                            x = x.add(FloatVector.fromByteBuffer(sp, bb, j * 4, NO));
                            x.intoByteBuffer(fb, off, NO);
                        }
                        if (m != 1f) x = x.mul(m);
                        FloatVector u = x.mul(x).mul(x).mul(A).add(x).mul(C);
                        FloatVector th = VecMath.tanh(u);
                        x.mul(0.5f).mul(th.add(1f)).intoByteBuffer(gb, off, NO);
                    }
                    for (; j < j1; j++) {
                        int i = r * width + j;
                        double v = f.get(i);
                        if (bias != null) {
                            v += bias.get(j);
                            f.set(i, v);
                        }
                        g.set(i, Kernels.gelu(m * v));
                    }
                }
            }
        });
    }

    /**
     * In place {@code dg <- m * gelu'(m f) * dg}; with {@code dChan} non-null also d mask per (sample, group),
     * {@code sum over the group's tokens and channels of gelu'(m f) dg f}: per-row partial sums first (rows run in
     * parallel), then summed per sample in token order, so the bits do not depend on the thread count.
     */
    static void geluBackward(Buf f, Buf chanMask, int groups, Buf dg, Buf dChan, int tokens, int width) {
        VectorSpecies<Float> sp = sp();
        int lanes = sp.length();
        ByteBuffer fb = f.bytes(), db = dg.bytes();
        int rows = f.n / width;
        int gs = width / groups;
        double[] part = dChan == null ? null : new double[rows * groups];
        Par.range(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = r / tokens;
                for (int k = 0; k < groups; k++) {
                    float m = chanMask == null ? 1f : (float) chanMask.get(b * groups + k);
                    int j0 = k * gs, j1 = j0 + gs;
                    int j = j0;
                    FloatVector acc = FloatVector.zero(sp);
                    for (; j + lanes <= j1; j += lanes) {
                        int off = (r * width + j) * 4;
                        FloatVector f0 = FloatVector.fromByteBuffer(sp, fb, off, NO);
                        FloatVector x = m != 1f ? f0.mul(m) : f0;
                        FloatVector x2 = x.mul(x);
                        FloatVector th = VecMath.tanh(x2.mul(A).add(1f).mul(x).mul(C));
                        // 0.5(1+th) + 0.5 x (1-th^2) C (1 + 3A x^2)
                        FloatVector dgl = th.add(1f).mul(0.5f)
                                .add(x.mul(0.5f * C).mul(th.mul(th).neg().add(1f)).mul(x2.mul(3 * A).add(1f)));
                        FloatVector gin = FloatVector.fromByteBuffer(sp, db, off, NO);
                        FloatVector out = gin.mul(dgl);
                        if (part != null) acc = acc.add(out.mul(f0));
                        if (m != 1f) out = out.mul(m);
                        out.intoByteBuffer(db, off, NO);
                    }
                    double tail = 0;
                    for (; j < j1; j++) {
                        int i = r * width + j;
                        double grad = Kernels.geluGrad(m * f.get(i));
                        if (part != null) tail += dg.get(i) * grad * f.get(i);
                        dg.set(i, m * dg.get(i) * grad);
                    }
                    if (part != null) part[r * groups + k] = VecMath.addLanes(acc) + tail;
                }
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

    static void softmaxRows(Buf s, int len) {
        VectorSpecies<Float> sp = sp();
        int lanes = sp.length();
        ByteBuffer sb = s.bytes();
        int rows = s.n / len;
        int vecEnd = len - len % lanes;
        Par.range(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * len;
                float mx = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < vecEnd; j += lanes) {
                    mx = Math.max(mx, FloatVector.fromByteBuffer(sp, sb, (base + j) * 4, NO).reduceLanes(VectorOperators.MAX));
                }
                for (int j = vecEnd; j < len; j++) mx = Math.max(mx, (float) s.get(base + j));
                float sum = 0;
                for (int j = 0; j < vecEnd; j += lanes) {
                    int off = (base + j) * 4;
                    FloatVector e = VecMath.expNonPositive(FloatVector.fromByteBuffer(sp, sb, off, NO).sub(mx));
                    e.intoByteBuffer(sb, off, NO);
                    sum += VecMath.addLanes(e);
                }
                for (int j = vecEnd; j < len; j++) {
                    float e = (float) Math.exp(s.get(base + j) - mx);
                    s.set(base + j, e);
                    sum += e;
                }
                float inv = 1f / sum;
                for (int j = 0; j < vecEnd; j += lanes) {
                    int off = (base + j) * 4;
                    FloatVector.fromByteBuffer(sp, sb, off, NO).mul(inv).intoByteBuffer(sb, off, NO);
                }
                for (int j = vecEnd; j < len; j++) s.set(base + j, s.get(base + j) * inv);
            }
        });
    }

    static void softmaxBackward(Buf p, Buf dp, int len) {
        VectorSpecies<Float> sp = sp();
        int lanes = sp.length();
        ByteBuffer pb = p.bytes(), db = dp.bytes();
        int rows = p.n / len;
        int vecEnd = len - len % lanes;
        Par.range(rows, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * len;
                FloatVector acc = FloatVector.zero(sp);
                for (int j = 0; j < vecEnd; j += lanes) {
                    int off = (base + j) * 4;
                    acc = FloatVector.fromByteBuffer(sp, pb, off, NO).fma(FloatVector.fromByteBuffer(sp, db, off, NO), acc);
                }
                float dot = VecMath.addLanes(acc);
                for (int j = vecEnd; j < len; j++) dot += (float) (p.get(base + j) * dp.get(base + j));
                for (int j = 0; j < vecEnd; j += lanes) {
                    int off = (base + j) * 4;
                    FloatVector pv = FloatVector.fromByteBuffer(sp, pb, off, NO);
                    pv.mul(FloatVector.fromByteBuffer(sp, db, off, NO).sub(dot)).intoByteBuffer(db, off, NO);
                }
                for (int j = vecEnd; j < len; j++) dp.set(base + j, p.get(base + j) * (dp.get(base + j) - dot));
            }
        });
    }

    /** float32 {@link Kernels#lnModulate}; d must be a multiple of the vector length. */
    static void lnModulate(Buf x, Buf xhat, Buf rstd, Buf ada, int adaStride, int shiftOff, int scaleOff,
                           Buf y, int tokens, int d, double eps) {
        VectorSpecies<Float> sp = sp();
        int lanes = sp.length();
        ByteBuffer xb = x.bytes(), hb = xhat.bytes(), yb = y.bytes(), ab = ada.bytes();
        int rows = x.n / d;
        Par.range(rows, 8, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = r * d * 4;
                int sc = ((r / tokens) * adaStride + scaleOff) * 4, sh = ((r / tokens) * adaStride + shiftOff) * 4;
                FloatVector acc = FloatVector.zero(sp);
                for (int j = 0; j < d; j += lanes) acc = acc.add(FloatVector.fromByteBuffer(sp, xb, base + j * 4, NO));
                float mean = VecMath.addLanes(acc) / d;
                FloatVector var = FloatVector.zero(sp);
                for (int j = 0; j < d; j += lanes) {
                    FloatVector c = FloatVector.fromByteBuffer(sp, xb, base + j * 4, NO).sub(mean);
                    var = c.fma(c, var);
                }
                float rs = (float) (1.0 / Math.sqrt(VecMath.addLanes(var) / d + eps));
                rstd.set(r, rs);
                for (int j = 0; j < d; j += lanes) {
                    int o = j * 4;
                    FloatVector h = FloatVector.fromByteBuffer(sp, xb, base + o, NO).sub(mean).mul(rs);
                    h.intoByteBuffer(hb, base + o, NO);
                    FloatVector g = FloatVector.fromByteBuffer(sp, ab, sc + o, NO).add(1f);
                    h.fma(g, FloatVector.fromByteBuffer(sp, ab, sh + o, NO)).intoByteBuffer(yb, base + o, NO);
                }
            }
        });
    }

    /** float32 {@link Kernels#lnModulateBackward}. */
    static void lnModulateBackward(Buf dy, Buf xhat, Buf rstd, Buf ada, int adaStride, int shiftOff, int scaleOff,
                                   Buf dAda, Buf dx, int tokens, int d) {
        VectorSpecies<Float> sp = sp();
        int lanes = sp.length();
        ByteBuffer yb = dy.bytes(), hb = xhat.bytes(), ab = ada.bytes(), db = dAda.bytes(), xb = dx.bytes();
        int samples = dy.n / d / tokens;
        Par.range(samples, 1, (b0, b1) -> {
            float[] dShift = new float[d], dScale = new float[d], g = new float[d];
            for (int b = b0; b < b1; b++) {
                java.util.Arrays.fill(dShift, 0);
                java.util.Arrays.fill(dScale, 0);
                int sc = (b * adaStride + scaleOff) * 4;
                for (int j = 0; j < d; j += lanes) FloatVector.fromByteBuffer(sp, ab, sc + j * 4, NO).add(1f).intoArray(g, j);
                for (int t = 0; t < tokens; t++) {
                    int r = b * tokens + t;
                    int base = r * d * 4;
                    FloatVector m1 = FloatVector.zero(sp), m2 = m1;
                    for (int j = 0; j < d; j += lanes) {
                        int o = base + j * 4;
                        FloatVector dyv = FloatVector.fromByteBuffer(sp, yb, o, NO);
                        FloatVector h = FloatVector.fromByteBuffer(sp, hb, o, NO);
                        FloatVector.fromArray(sp, dShift, j).add(dyv).intoArray(dShift, j);
                        dyv.fma(h, FloatVector.fromArray(sp, dScale, j)).intoArray(dScale, j);
                        FloatVector dh = dyv.mul(FloatVector.fromArray(sp, g, j));
                        m1 = m1.add(dh);
                        m2 = dh.fma(h, m2);
                    }
                    float mean1 = VecMath.addLanes(m1) / d;
                    float mean2 = VecMath.addLanes(m2) / d;
                    float rs = (float) rstd.get(r);
                    for (int j = 0; j < d; j += lanes) {
                        int o = base + j * 4;
                        FloatVector h = FloatVector.fromByteBuffer(sp, hb, o, NO);
                        FloatVector dh = FloatVector.fromByteBuffer(sp, yb, o, NO).mul(FloatVector.fromArray(sp, g, j));
                        FloatVector upd = dh.sub(mean1).sub(h.mul(mean2)).mul(rs);
                        FloatVector.fromByteBuffer(sp, xb, o, NO).add(upd).intoByteBuffer(xb, o, NO);
                    }
                }
                int so = (b * adaStride + shiftOff) * 4;
                for (int j = 0; j < d; j += lanes) {
                    FloatVector.fromArray(sp, dShift, j).intoByteBuffer(db, so + j * 4, NO);
                    FloatVector.fromArray(sp, dScale, j).intoByteBuffer(db, sc + j * 4, NO);
                }
            }
        });
    }
}
