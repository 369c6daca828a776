package org.dydit.dynamic;

import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Random tiny DyDiT models whose routers keep a margin: no width-router logit lies within {@link #MARGIN} of 0
 * for any timestep 0..999, and token-router logits are spread wide (scale ~{@code tokenScale}) so that float
 * reordering between the engine and the SameDiff reference cannot flip a decision (tests still check the
 * margins they meet). Every tensor is random, including adaLN and the final layer, so every part matters.
 */
public final class MarginModels {
    private MarginModels() {}

    static final double MARGIN = 1e-3;

    /** A config with {@code side}/{@code patch} grid, width d, {@code heads} heads, {@code depth} blocks. */
    public static DiTConfig config(int side, int patch, int channels, int d, int heads, int depth, boolean dynamic) {
        return new DiTConfig(side, patch, channels, d, depth, heads, 10, true, 0.1, 4.0, dynamic);
    }

    public static DiTModel model(DiTConfig cfg, long seed) throws Exception {
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, seed);
        Random r = new Random(seed + 17);
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            String k = e.getKey();
            if (k.equals(DiTKeys.POS_EMBED) || DiTKeys.isRouterKey(k)) continue;
            if (k.contains("adaLN_modulation") || k.startsWith(DiTKeys.FINAL_LINEAR) || k.endsWith(".bias")) {
                e.setValue(gaussian(e.getValue().shape(), 0.1, r));
            }
        }
        if (cfg.dynamic()) routers(cfg, w, r);
        return DiTModel.of(cfg, w, "random margin model", "random margin model");
    }

    /** Width routers with a margin over all t; token routers with large spread and ReLU features of both signs. */
    private static void routers(DiTConfig cfg, LinkedHashMap<String, Tensor> w, Random r) {
        int d = cfg.hiddenSize(), h = cfg.numHeads();
        DynamicWeights iw = new DynamicWeights(cfg.withDynamic(false), w);
        TimestepWidths tw = new TimestepWidths(cfg.withDynamic(false), iw, false);
        double[][] e = new double[1000][];
        for (int t = 0; t < 1000; t++) {
            float[] f = tw.timestepEmbedding(t);
            e[t] = new double[d];
            for (int j = 0; j < d; j++) e[t][j] = f[j];
        }
        iw.close();
        for (int l = 0; l < cfg.depth(); l++) {
            for (String router : new String[]{DiTKeys.attnRouter(l), DiTKeys.mlpRouter(l)}) {
                float[] wt = new float[(h - 1) * d], b = new float[h - 1];
                for (int k = 0; k < h - 1; k++) {
                    double[] row = new double[d];
                    for (int j = 0; j < d; j++) row[j] = r.nextGaussian();
                    double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
                    for (int t = 0; t < 1000; t++) {
                        double v = dot(row, e[t]);
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                    double spread = hi - lo;
                    double scale = 8.0 / spread;           // logits over t span ~8: mean gap 8e-3
                    for (int j = 0; j < d; j++) wt[k * d + j] = (float) (row[j] * scale);
                    b[k] = (float) -threshold(0.15 + 0.7 * r.nextDouble(), wt, k, d, e);
                }
                w.put(router + ".weight", Tensor.ofFloats(new long[]{h - 1, d}, wt));
                w.put(router + ".bias", Tensor.ofFloats(new long[]{h - 1}, b));
            }
            int k = DiTKeys.tokenRouterHidden(cfg);
            w.put(DiTKeys.tokenRouter0(l) + ".bias", gaussian(new long[]{k}, 0.3, r));
            w.put(DiTKeys.tokenRouter2(l) + ".weight", gaussian(new long[]{1, k}, 60.0, r));
            w.put(DiTKeys.tokenRouter2(l) + ".bias", Tensor.ofFloats(new long[]{1}, new float[]{(float) (2 * r.nextGaussian())}));
        }
    }

    /**
     * A cut between the float32 router values of all t near quantile q whose distance to every value is at least
     * the margin (with slack for the bias' own float rounding).
     */
    private static double threshold(double q, float[] wt, int k, int d, double[][] e) {
        double[] v = new double[1000];
        for (int t = 0; t < 1000; t++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += wt[k * d + j] * e[t][j];
            v[t] = s;
        }
        Arrays.sort(v);
        int start = (int) (q * 999);
        for (int off = 0; off < 999; off++) {
            for (int i : new int[]{start + off, start - off}) {
                if (i < 1 || i > 998) continue;
                if (v[i] - v[i - 1] > 4 * MARGIN) return 0.5 * (v[i] + v[i - 1]);
            }
        }
        throw new IllegalStateException("no gap for a router margin");
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static Tensor gaussian(long[] shape, double std, Random r) {
        float[] v = new float[Math.toIntExact(Tensor.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
        return Tensor.ofFloats(shape, v);
    }

    static float[] normal(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
