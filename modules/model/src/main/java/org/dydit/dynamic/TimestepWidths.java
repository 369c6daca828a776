package org.dydit.dynamic;

import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.TimestepFrequencies;
import org.dydit.routing.TimestepRouter;

import java.util.HashMap;
import java.util.Map;

/**
 * TDW decisions per timestep. Both width routers of a block read only the timestep embedding
 * {@code E_t = t_embedder(t)}, so the active heads and channel groups of every layer are a function of t alone:
 * computed once per distinct t (a sampling run meets at most its number of steps) and shared by every sample,
 * label and guidance half. Each layer's two routers are {@link TimestepRouter}s in evaluation: head / group 0
 * is always active, router output k decides head / group k + 1.
 */
public final class TimestepWidths {
    /** The decisions at one timestep: E_t, active heads and groups per layer (ascending), smallest |logit|. */
    record Plan(int t, float[] tEmb, int[][] heads, int[][] groups, double minMargin) {}

    private final DiTConfig cfg;
    private final DynamicWeights w;
    private final boolean dynamic;
    private final Map<Integer, Plan> plans = new HashMap<>();

    public TimestepWidths(DiTConfig cfg, DynamicWeights w, boolean dynamic) {
        this.cfg = cfg;
        this.w = w;
        this.dynamic = dynamic;
    }

    synchronized Plan plan(int t) {
        return plans.computeIfAbsent(t, this::build);
    }

    /** E_t = Linear(SiLU(Linear([cos(t f), sin(t f)]))), in double from the float32 weights, rounded to float. */
    public float[] timestepEmbedding(int t) {
        int d = cfg.hiddenSize();
        double[] freq = new double[TimestepFrequencies.DIM];
        TimestepFrequencies.features(t, true, freq, 0);
        double[] h = linear(w.heap(DiTKeys.T_MLP0 + ".weight"), w.heap(DiTKeys.T_MLP0 + ".bias"), freq, d);
        for (int j = 0; j < d; j++) h[j] = (float) (h[j] / (1 + Math.exp(-h[j])));
        double[] e = linear(w.heap(DiTKeys.T_MLP2 + ".weight"), w.heap(DiTKeys.T_MLP2 + ".bias"), h, d);
        float[] out = new float[d];
        for (int j = 0; j < d; j++) out[j] = (float) e[j];
        return out;
    }

    private Plan build(int t) {
        float[] e = timestepEmbedding(t);
        int depth = cfg.depth(), heads = cfg.numHeads();
        int[][] hs = new int[depth][], gs = new int[depth][];
        double margin = Double.POSITIVE_INFINITY;
        int[] all = new int[heads];
        for (int i = 0; i < heads; i++) all[i] = i;
        double[] ed = new double[e.length];
        for (int j = 0; j < e.length; j++) ed[j] = e[j];
        for (int l = 0; l < depth; l++) {
            if (!dynamic) {
                hs[l] = all;
                gs[l] = all;
                continue;
            }
            double[] la = new double[heads - 1], lm = new double[heads - 1];
            hs[l] = TimestepRouter.activeSet(w.heap(DiTKeys.attnRouter(l) + ".weight"), w.heap(DiTKeys.attnRouter(l) + ".bias"), ed, la);
            gs[l] = TimestepRouter.activeSet(w.heap(DiTKeys.mlpRouter(l) + ".weight"), w.heap(DiTKeys.mlpRouter(l) + ".bias"), ed, lm);
            for (double v : la) margin = Math.min(margin, Math.abs(v));
            for (double v : lm) margin = Math.min(margin, Math.abs(v));
        }
        return new Plan(t, e, hs, gs, margin);
    }

    /** y = W x + b for W (out, in) row-major. */
    static double[] linear(float[] wt, float[] b, double[] x, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = b[o];
            int base = o * in;
            for (int j = 0; j < in; j++) s += wt[base + j] * x[j];
            y[o] = s;
        }
        return y;
    }
}
