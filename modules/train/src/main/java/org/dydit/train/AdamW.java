package org.dydit.train;

import org.dydit.engine.DiTParams;
import org.dydit.kernels.NdBuffer;
import org.dydit.kernels.KernelThreads;
import org.dydit.kernels.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * AdamW as PyTorch defines it (decoupled weight decay {@code p -= lr wd p}, bias-corrected moments,
 * {@code eps} added to the corrected root), plus gradient-norm clipping and the EMA of the weights, each one
 * pass over the flat parameter buffers of a {@link DiTParams} layout.
 *
 * <p>The passes walk the stores in {@link FlatSegments} (a store may be larger than one buffer can address:
 * DiT-XL/2's are 2.7 GB); results do not depend on the segment size. Sums run over a fixed number of chunks in a
 * fixed order, so results do not depend on the thread count either.
 */
public final class AdamW {
    public final double lr, beta1, beta2, eps, weightDecay;

    public AdamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
        if (!(lr >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("invalid AdamW settings: lr " + lr + ", betas (" + beta1 + ", " + beta2
                    + "), eps " + eps + ", weight decay " + weightDecay);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** One update with step number {@code step} (1-based, for bias correction). */
    public void update(DiTParams p, DiTParams g, DiTParams m, DiTParams v, long step) {
        update(p, g, m, v, step, FlatSegments.of(p.flat()));
    }

    void update(DiTParams p, DiTParams g, DiTParams m, DiTParams v, long step, FlatSegments seg) {
        NdBuffer[] ps = seg.bufs(p.flat()), gs = seg.bufs(g.flat()), ms = seg.bufs(m.flat()), vs = seg.bufs(v.flat());
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double decay = 1 - lr * weightDecay;
        double invSqrtBc2 = 1 / Math.sqrt(bc2);
        for (int k = 0; k < ps.length; k++) {
            NdBuffer pb = ps[k], gb = gs[k], mb = ms[k], vb = vs[k];
            if (pb.isFloat() && VectorKernels.ON) {
                Vec.adam(pb, gb, mb, vb, (float) beta1, (float) beta2, (float) eps, (float) stepSize, (float) decay, (float) invSqrtBc2);
                continue;
            }
            KernelThreads.range(pb.n, 4096, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    double gi = gb.get(i);
                    double mi = beta1 * mb.get(i) + (1 - beta1) * gi;
                    double vi = beta2 * vb.get(i) + (1 - beta2) * gi * gi;
                    mb.set(i, mi);
                    vb.set(i, vi);
                    pb.set(i, pb.get(i) * decay - stepSize * mi / (Math.sqrt(vi) * invSqrtBc2 + eps));
                }
            });
        }
    }

    static final int CHUNKS = 64;

    /** The global L2 norm of the gradient. */
    public static double norm(DiTParams g) {
        return norm(g, FlatSegments.of(g.flat()));
    }

    /** Chunk c sums its elements in index order, across segment ends, so the bits do not depend on the segments. */
    static double norm(DiTParams g, FlatSegments seg) {
        NdBuffer[] bs = seg.bufs(g.flat());
        long n = seg.length;
        double[] part = new double[CHUNKS];
        KernelThreads.range(CHUNKS, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                long from = FlatSegments.chunkStart(n, c, CHUNKS), to = FlatSegments.chunkStart(n, c + 1, CHUNKS);
                double s = 0;
                while (from < to) {
                    int k = seg.segmentOf(from);
                    NdBuffer b = bs[k];
                    long base = seg.start(k);
                    int i0 = (int) (from - base), i1 = (int) (Math.min(to, base + b.n) - base);
                    for (int i = i0; i < i1; i++) {
                        double x = b.get(i);
                        s += x * x;
                    }
                    from = base + i1;
                }
                part[c] = s;
            }
        });
        double s = 0;
        for (double x : part) s += x;
        return Math.sqrt(s);
    }

    /**
     * Scales the gradient so that its norm is at most {@code maxNorm} (PyTorch's {@code clip_grad_norm_}:
     * factor {@code maxNorm / (norm + 1e-6)} when below 1). Returns the norm before clipping.
     */
    public static double clip(DiTParams g, double maxNorm) {
        double n = norm(g);
        if (maxNorm > 0 && Double.isFinite(n)) {
            double f = maxNorm / (n + 1e-6);
            if (f < 1) g.flat().muli(f);   // ND4J's loop indexes with 64 bits
        }
        return n;
    }

    /** ema = decay * ema + (1 - decay) * p. */
    public static void ema(DiTParams ema, DiTParams p, double decay) {
        ema(ema, p, decay, FlatSegments.of(ema.flat()));
    }

    static void ema(DiTParams ema, DiTParams p, double decay, FlatSegments seg) {
        NdBuffer[] es = seg.bufs(ema.flat()), xs = seg.bufs(p.flat());
        for (int k = 0; k < es.length; k++) {
            NdBuffer e = es[k], x = xs[k];
            if (e.isFloat() && VectorKernels.ON) {
                Vec.ema(e, x, (float) decay);
                continue;
            }
            KernelThreads.range(e.n, 4096, (i0, i1) -> {
                for (int i = i0; i < i1; i++) e.set(i, decay * e.get(i) + (1 - decay) * x.get(i));
            });
        }
    }

    /** float32 Vector API loops. */
    private static final class Vec {
        private static final ByteOrder NO = ByteOrder.nativeOrder();

        static void adam(NdBuffer p, NdBuffer g, NdBuffer m, NdBuffer v, float b1, float b2, float eps, float stepSize, float decay, float invSqrtBc2) {
            VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
            int lanes = sp.length();
            ByteBuffer pb = p.bytes(), gb = g.bytes(), mb = m.bytes(), vb = v.bytes();
            KernelThreads.range(p.n / lanes, 1024, (c0, c1) -> {
                for (int c = c0; c < c1; c++) {
                    int off = c * lanes * 4;
                    FloatVector gi = FloatVector.fromByteBuffer(sp, gb, off, NO);
                    FloatVector mi = FloatVector.fromByteBuffer(sp, mb, off, NO).mul(b1).add(gi.mul(1 - b1));
                    FloatVector vi = FloatVector.fromByteBuffer(sp, vb, off, NO).mul(b2).add(gi.mul(gi).mul(1 - b2));
                    mi.intoByteBuffer(mb, off, NO);
                    vi.intoByteBuffer(vb, off, NO);
                    FloatVector den = vi.lanewise(VectorOperators.SQRT).mul(invSqrtBc2).add(eps);
                    FloatVector pi = FloatVector.fromByteBuffer(sp, pb, off, NO);
                    pi.mul(decay).sub(mi.mul(stepSize).div(den)).intoByteBuffer(pb, off, NO);
                }
            });
            for (int i = (p.n / lanes) * lanes; i < p.n; i++) {
                float gi = (float) g.get(i);
                float mi = b1 * (float) m.get(i) + (1 - b1) * gi;
                float vi = b2 * (float) v.get(i) + (1 - b2) * gi * gi;
                m.set(i, mi);
                v.set(i, vi);
                p.set(i, (float) p.get(i) * decay - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps));
            }
        }

        static void ema(NdBuffer e, NdBuffer x, float decay) {
            VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
            int lanes = sp.length();
            ByteBuffer eb = e.bytes(), xb = x.bytes();
            KernelThreads.range(e.n / lanes, 1024, (c0, c1) -> {
                for (int c = c0; c < c1; c++) {
                    int off = c * lanes * 4;
                    FloatVector.fromByteBuffer(sp, eb, off, NO).mul(decay)
                            .add(FloatVector.fromByteBuffer(sp, xb, off, NO).mul(1 - decay)).intoByteBuffer(eb, off, NO);
                }
            });
            for (int i = (e.n / lanes) * lanes; i < e.n; i++) e.set(i, decay * (float) e.get(i) + (1 - decay) * (float) x.get(i));
        }
    }
}
