package org.dydit.inference;

import org.dydit.engine.Par;

import java.nio.FloatBuffer;

/**
 * Softmax attention of the active heads only, read straight from the fused qkv rows and written straight into
 * the concatenated head outputs (no split / merge passes). The qkv rows hold {@code [q of a heads | k | v]}, each
 * head {@code hd} wide, exactly as the sliced qkv weight produces them. Per (sample, head), four query rows at a
 * time: scores against all keys, softmax, times the values; the T x T score matrix is never stored.
 */
final class HeadAttention {
    private HeadAttention() {}

    private static final class Scratch {
        final float[] q, kt, v, s, o, kb;

        Scratch(int t, int hd) {
            q = new float[((t + 3) / 4 * 4) * hd];
            kt = new float[hd * t];
            v = new float[t * hd];
            s = new float[4 * t];
            o = new float[4 * hd];
            kb = new float[16 * hd];
        }

        boolean fits(int t, int hd) {
            return kt.length == hd * t && q.length == ((t + 3) / 4 * 4) * hd;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    /**
     * @param qkv   (B*T, 3*a*hd) without bias
     * @param bias  the sliced qkv bias (3*a*hd)
     * @param out   (B*T, a*hd): head h of token r at columns [h*hd, (h+1)*hd)
     */
    static void forward(FloatBuffer qkv, float[] bias, int batch, int tokens, int heads, int hd, FloatBuffer out) {
        int w = heads * hd, w3 = 3 * w;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Par.range(batch * heads, 1, (j0, j1) -> {
            Scratch sc = SCRATCH.get();
            if (sc == null || !sc.fits(tokens, hd)) {
                sc = new Scratch(tokens, hd);
                SCRATCH.set(sc);
            }
            float[] q = sc.q, kt = sc.kt, v = sc.v, s = sc.s, o = sc.o, kb = sc.kb;
            float[] sums = new float[4];
            for (int job = j0; job < j1; job++) {
                int b = job / heads, h = job % heads;
                int qc = h * hd, kc = w + h * hd, vc = 2 * w + h * hd;
                for (int t = 0; t < tokens; t++) {
                    int row = (b * tokens + t) * w3;
                    qkv.get(row + qc, q, t * hd, hd);
                    for (int j = 0; j < hd; j++) q[t * hd + j] = (q[t * hd + j] + bias[qc + j]) * scale;
                    qkv.get(row + vc, v, t * hd, hd);
                    for (int j = 0; j < hd; j++) v[t * hd + j] += bias[vc + j];
                }
                // K^T in blocks of 16 tokens: every cache line of kt is written whole, once (a plain strided
                // transpose misses the cache on every store and cost more than the products)
                for (int t0 = 0; t0 < tokens; t0 += 16) {
                    int nt = Math.min(16, tokens - t0);
                    for (int tt = 0; tt < nt; tt++) qkv.get((b * tokens + t0 + tt) * w3 + kc, kb, tt * hd, hd);
                    for (int j = 0; j < hd; j++) {
                        float bj = bias[kc + j];
                        int base = j * tokens + t0;
                        for (int tt = 0; tt < nt; tt++) kt[base + tt] = kb[tt * hd + j] + bj;
                    }
                }
                for (int i = 0; i < tokens; i += 4) {
                    Vec.mm4(q, i * hd, hd, kt, s, tokens, hd);          // scores of 4 query rows
                    int rows = Math.min(4, tokens - i);
                    for (int r = 0; r < rows; r++) sums[r] = Vec.expShifted(s, r * tokens, tokens);
                    Vec.mm4(s, 0, tokens, v, o, hd, tokens);            // times the values, then / the row sums
                    for (int r = 0; r < rows; r++) {
                        float inv = 1f / sums[r];
                        for (int j = 0; j < hd; j++) o[r * hd + j] *= inv;
                        out.put((b * tokens + i + r) * w + h * hd, o, r * hd, hd);
                    }
                }
            }
        });
    }
}
