package org.dydit.dynamic;

import org.dydit.kernels.MatmulKernel;
import org.dydit.kernels.VectorKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.dydit.kernels.KernelThreads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Softmax attention of the active heads only, read straight from the fused qkv rows and written straight into
 * the concatenated head outputs (no split / merge passes). The qkv rows hold {@code [q of a heads | k | v]}, each
 * head {@code hd} wide, exactly as the sliced qkv weight produces them. Per (sample, head): q (biased, scaled), v
 * and K^T are staged in heap arrays with vector loads from the off-heap rows (bulk per-row copies cost as much as
 * the products), then six query rows at a time: scores against all keys, softmax, times the values; the T x T
 * score matrix is never stored.
 */
final class HeadAttention {
    private HeadAttention() {}
    private static final ByteOrder NO = ByteOrder.nativeOrder();

    private static final class Scratch {
        final float[] q, kt, v, s, o, kb;
        final int[] colIdx;
        Scratch(int t, int hd) {
            q = new float[((t + R - 1) / R * R) * hd];
            kt = new float[hd * t];
            v = new float[t * hd];
            s = new float[R * t];
            o = new float[R * hd];
            kb = new float[16 * hd];
            colIdx = new int[Math.max(1, VectorKernels.L)];
            for (int i = 0; i < colIdx.length; i++) colIdx[i] = i * hd;
        }
        boolean fits(int t, int hd) { return kt.length == hd * t && q.length == ((t + R - 1) / R * R) * hd; }
    }
    /** Query rows per block: the micro-kernel's register block. */
    private static final int R = MatmulKernel.ROWS;
    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    /**
     * @param qkv   (B*T, 3*a*hd) float32 without bias, native byte order
     * @param bias  the sliced qkv bias (3*a*hd)
     * @param out   (B*T, a*hd) float32: head h of token r at columns [h*hd, (h+1)*hd)
     * @return the multiply-accumulates of the products run, QK^T and softmax·V of each query row block (the zero
     *         padding rows of a last, partial block not counted)
     */
    static long forward(ByteBuffer qkv, float[] bias, int batch, int tokens, int heads, int hd, ByteBuffer out) {
        int w = heads * hd, w3 = 3 * w;
        float scale = (float) (1.0 / Math.sqrt(hd));
        boolean vec = VectorKernels.ON && hd % VectorKernels.L == 0;
        LongAdder done = new LongAdder();
        KernelThreads.range(batch * heads, 1, (j0, j1) -> {
            Scratch sc = SCRATCH.get();
            if (sc == null || !sc.fits(tokens, hd)) { sc = new Scratch(tokens, hd); SCRATCH.set(sc); }
            float[] q = sc.q, kt = sc.kt, v = sc.v, s = sc.s, o = sc.o, kb = sc.kb;
            float[] sums = new float[R];
            long macs = 0;
            for (int job = j0; job < j1; job++) {
                int b = job / heads, h = job % heads;
                int qc = h * hd, kc = w + h * hd, vc = 2 * w + h * hd;
                if (vec) gatherVec(qkv, bias, b, tokens, hd, w3, qc, kc, vc, scale, q, v, kt, kb, sc.colIdx);
                else gatherScalar(qkv, bias, b, tokens, hd, w3, qc, kc, vc, scale, q, v, kt, kb);
                for (int i = 0; i < tokens; i += R) {
                    // the padding query rows of the last block are zero; their scores and outputs are not used
                    MatmulKernel.multiply(q, i * hd, hd, 1, kt, 0, tokens, s, 0, tokens, R, tokens, hd);
                    int rows = Math.min(R, tokens - i);
                    macs += (long) rows * hd * tokens + (long) rows * tokens * hd;   // (rows, hd)(hd, T), (rows, T)(T, hd)
                    for (int r = 0; r < rows; r++) sums[r] = VectorKernels.expShifted(s, r * tokens, tokens);
                    MatmulKernel.multiply(s, 0, tokens, 1, v, 0, hd, o, 0, hd, R, hd, tokens);
                    for (int r = 0; r < rows; r++) {
                        float inv = 1f / sums[r];
                        int ob = ((b * tokens + i + r) * w + h * hd) * 4;
                        if (vec) {
                            for (int j = 0; j < hd; j += VectorKernels.L)
                                FloatVector.fromArray(VectorKernels.SP, o, r * hd + j).mul(inv).intoByteBuffer(out, ob + 4 * j, NO);
                        } else {
                            for (int j = 0; j < hd; j++) out.putFloat(ob + 4 * j, o[r * hd + j] * inv);
                        }
                    }
                }
            }
            done.add(macs);
        });
        return done.sum();
    }

    private static void gatherVec(ByteBuffer qkv, float[] bias, int b, int tokens, int hd, int w3, int qc, int kc, int vc,
                                  float scale, float[] q, float[] v, float[] kt, float[] kb, int[] colIdx) {
        VectorSpecies<Float> sp = VectorKernels.SP;
        int L = VectorKernels.L;
        for (int t = 0; t < tokens; t++) {
            int row = (b * tokens + t) * w3 * 4;
            for (int j = 0; j < hd; j += L) {
                FloatVector.fromByteBuffer(sp, qkv, row + 4 * (qc + j), NO).add(FloatVector.fromArray(sp, bias, qc + j)).mul(scale).intoArray(q, t * hd + j);
                FloatVector.fromByteBuffer(sp, qkv, row + 4 * (vc + j), NO).add(FloatVector.fromArray(sp, bias, vc + j)).intoArray(v, t * hd + j);
            }
        }
        // K^T: L tokens at a time through kb, then one gathered column of L tokens per channel
        int t0 = 0;
        for (; t0 + L <= tokens; t0 += L) {
            for (int tt = 0; tt < L; tt++) {
                int row = (b * tokens + t0 + tt) * w3 * 4;
                for (int j = 0; j < hd; j += L)
                    FloatVector.fromByteBuffer(sp, qkv, row + 4 * (kc + j), NO).add(FloatVector.fromArray(sp, bias, kc + j)).intoArray(kb, tt * hd + j);
            }
            for (int j = 0; j < hd; j++) FloatVector.fromArray(sp, kb, j, colIdx, 0).intoArray(kt, j * tokens + t0);
        }
        for (int t = t0; t < tokens; t++) {
            int row = (b * tokens + t) * w3 * 4;
            for (int j = 0; j < hd; j++) kt[j * tokens + t] = qkv.getFloat(row + 4 * (kc + j)) + bias[kc + j];
        }
    }

    private static void gatherScalar(ByteBuffer qkv, float[] bias, int b, int tokens, int hd, int w3, int qc, int kc, int vc,
                                     float scale, float[] q, float[] v, float[] kt, float[] kb) {
        for (int t = 0; t < tokens; t++) {
            int row = (b * tokens + t) * w3 * 4;
            for (int j = 0; j < hd; j++) {
                q[t * hd + j] = (qkv.getFloat(row + 4 * (qc + j)) + bias[qc + j]) * scale;
                v[t * hd + j] = qkv.getFloat(row + 4 * (vc + j)) + bias[vc + j];
                kt[j * tokens + t] = qkv.getFloat(row + 4 * (kc + j)) + bias[kc + j];
            }
        }
    }
}
