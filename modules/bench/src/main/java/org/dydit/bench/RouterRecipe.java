package org.dydit.bench;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.dynamic.DynamicWeights;
import org.dydit.dynamic.TimestepWidths;
import org.dydit.sample.TrajectoryInputs;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.NoiseSource;
import org.dydit.formats.FormatException;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The DyDiT used by the speed benchmark while no fine-tuned checkpoint exists: random DiT weights with routers
 * set by a fixed recipe that follows the pattern of the paper's Figure 5 (more heads and channel groups at low
 * t, fewer at high t, in every layer; about half of the tokens kept by every token router).
 *
 * <ul>
 *   <li>Width schedule: head k ≥ 1 of layer l is meant to be active while {@code t/1000 < τ(l,k)} with
 *   {@code τ(l,k) = w + 0.08 cos(2π(l+½)/L) − 0.2 (k−1)}; MLP group k uses the same with
 *   {@code + 0.04 sin(2πl/L)}. Attention and MLP therefore lose width together, in every layer, so the savings
 *   are spread over all kinds of work rather than placed where the engine is fastest. The level w is set by
 *   bisection so that the FLOPs ratio predicted for the benchmark's timesteps equals λ: first with half of the
 *   tokens, then again with the shares the calibrated token routers keep per timestep and layer on the
 *   trajectory below (fewer at high t, where the layers are narrow), after which the token routers are
 *   calibrated once more for the new widths.</li>
 *   <li>Width routers: the real DyDiT router form, Linear(D → H−1) on E_t, fitted by ridge least squares over
 *   t = 0..999 to the logits {@code 20 (τ − t/1000)}. The engine then decides from these routers as from any
 *   checkpoint; the benchmark reports the decisions actually taken.</li>
 *   <li>Token routers: the real form Linear(D → D/16) → ReLU → Linear(D/16 → 1) with Xavier weights; each
 *   layer's output bias is set, layer by layer, to minus the median logit on calibration inputs at the
 *   benchmark's timesteps, so about half of the tokens are kept: first noised inputs, then the inputs of a
 *   DDPM-250 chain of two samples drawn with the model so calibrated (its own seed, not the benchmark's).</li>
 * </ul>
 * Everything is a function of the seed.
 */
public final class RouterRecipe {
    private RouterRecipe() {}

    /** Builds the model for {@code cfg} (dynamic, at least 2 heads) at target ratio λ for the given timesteps. */
    public static DiTModel build(DiTConfig cfg, double lambda, int[] timesteps, long seed, Consumer<String> log)
            throws FormatException {
        if (!cfg.dynamic()) throw new IllegalArgumentException("the router recipe needs a DyDiT config");
        if (!(lambda > 0 && lambda <= 1)) throw new IllegalArgumentException("lambda must be in (0, 1], got " + lambda);
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, seed);
        Random r = new Random(seed ^ 0x5EED);
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            String k = e.getKey();
            if (DiTKeys.isRouterKey(k)) continue;
            // adaLN-Zero and the zero final layer would make every block an identity: give them small values
            if (k.contains("adaLN_modulation") || k.startsWith(DiTKeys.FINAL_LINEAR)) e.setValue(gaussian(e.getValue().shape(), 0.05, r));
        }
        long start = System.nanoTime();
        double level = solveLevel(cfg, lambda, timesteps, null);
        log.accept(String.format("router recipe: width level w = %.4f for lambda %.3f with half of the tokens", level, lambda));
        fitWidthRouters(cfg, w, level);
        Trajectory chain = calibrateTokenRouters(cfg, w, timesteps, r, log);
        // The token routers keep fewer tokens at high t than at low t (0.42 against 0.53 on DiT-S/2), where the
        // layers are wider, so "half of the tokens" overstates the savings. Solve the width level again with the
        // shares kept on the trajectory, then calibrate the token routers for the new widths on the same inputs.
        double level2 = solveLevel(cfg, lambda, timesteps, chain.kept());
        log.accept(String.format("router recipe: width level w = %.4f with the token shares kept on the trajectory", level2));
        if (level2 != level) {
            fitWidthRouters(cfg, w, level2);
            try (DynamicEngine e = engine(cfg, w)) {
                calibrateOn(e, cfg, w, timesteps, chain.inputs(), chain.labels());
            }
        }
        log.accept(String.format("router recipe: built in %.0f s", (System.nanoTime() - start) / 1e9));
        return DiTModel.of(cfg, w, "router recipe (seed " + seed + ")", "router recipe config");
    }

    /**
     * Samples per calibration input and in the calibration chain: two for models up to twice DiT-S/2's MACs, one
     * above. The chain (250 forwards) is the recipe's main cost; one trajectory of 256 tokens still gives each
     * layer's median 2560 logits.
     */
    static int calibrationSamples(DiTConfig cfg) {
        return DiTFlops.of(cfg).totalMacs() <= 2 * DiTFlops.of(DiTConfig.preset("DiT-S/2")).totalMacs() ? 2 : 1;
    }

    /**
     * Inputs at the timed timesteps and their labels (per timestep), on which the token routers are calibrated, and
     * the share of the tokens each layer keeps on them (per timestep and layer) once calibrated.
     */
    private record Trajectory(float[][] inputs, int[][] labels, double[][] kept) {}

    private static DynamicEngine engine(DiTConfig cfg, LinkedHashMap<String, Tensor> w) throws FormatException {
        return new DynamicEngine(DiTModel.of(cfg, w, "router recipe", "router recipe"), DynamicEngine.Mode.DYNAMIC);
    }

    /** τ(l, k) of head k ≥ 1 (attention) or channel group k (MLP), in units of t/1000. */
    static double tau(DiTConfig cfg, double level, int l, int k, boolean mlp) {
        int depth = cfg.depth();
        double v = level + 0.08 * Math.cos(2 * Math.PI * (l + 0.5) / depth) - 0.2 * (k - 1);
        if (mlp) v += 0.04 * Math.sin(2 * Math.PI * l / depth);
        return v;
    }

    /**
     * The FLOPs ratio the schedule aims at over {@code timesteps}, with the share {@code kept[i][l]} of the tokens
     * through layer l's MLP at timesteps[i] ({@code kept} null: half of them).
     */
    static double predictedRatio(DiTConfig cfg, double level, int[] timesteps, double[][] kept) {
        DiTFlops f = DiTFlops.of(cfg);
        int h = cfg.numHeads(), t = cfg.tokens(), d = cfg.hiddenSize(), gs = cfg.mlpHidden() / h;
        int k = DiTKeys.tokenRouterHidden(cfg);
        double dyn = 0, stat = 0;
        for (int i = 0; i < timesteps.length; i++) {
            double x = timesteps[i] / 1000.0;
            dyn += f.embeddingMacs() + f.finalLayerMacs();
            for (int l = 0; l < cfg.depth(); l++) {
                int a = 1, g = 1;
                for (int j = 1; j < h; j++) {
                    if (x < tau(cfg, level, l, j, false)) a++;
                    if (x < tau(cfg, level, l, j, true)) g++;
                }
                double share = kept == null ? 0.5 : kept[i][l];
                dyn += f.adaLNMacs() + f.attentionMacs(t, a) + share * f.mlpMacs(t, (long) g * gs)
                        + t * ((double) d * k + k) + 2.0 * (h - 1) * d;
            }
            stat += f.totalMacs();
        }
        return dyn / stat;
    }

    private static double solveLevel(DiTConfig cfg, double lambda, int[] timesteps, double[][] kept) {
        double lo = -1, hi = 3;
        if (predictedRatio(cfg, hi, timesteps, kept) < lambda) return hi;
        if (predictedRatio(cfg, lo, timesteps, kept) > lambda) {
            throw new IllegalArgumentException("lambda " + lambda + " is below what one head and group with "
                    + (kept == null ? "half the tokens" : "the tokens kept") + " reach: " + predictedRatio(cfg, lo, timesteps, kept));
        }
        for (int i = 0; i < 60; i++) {
            double mid = 0.5 * (lo + hi);
            if (predictedRatio(cfg, mid, timesteps, kept) > lambda) hi = mid;
            else lo = mid;
        }
        return lo;
    }

    /** Ridge least squares of every width router on [E_t, 1], t = 0..999, to 20 (τ − t/1000). */
    private static void fitWidthRouters(DiTConfig cfg, LinkedHashMap<String, Tensor> w, double level) {
        int d = cfg.hiddenSize(), h = cfg.numHeads(), n = d + 1;
        // E_t reads the timestep embedder only: convert a one-block view of the weights, not every block (DiT-XL/2
        // has 675M floats)
        DiTConfig oneBlock = new DiTConfig(cfg.inputSize(), cfg.patchSize(), cfg.inChannels(), d, 1, h, cfg.numClasses(),
                cfg.learnSigma(), cfg.classDropoutProb(), cfg.mlpRatio(), false);
        DynamicWeights iw = new DynamicWeights(oneBlock, w);
        TimestepWidths tw = new TimestepWidths(oneBlock, iw, false);
        double[][] feats = new double[1000][n];
        for (int t = 0; t < 1000; t++) {
            float[] e = tw.timestepEmbedding(t);
            for (int j = 0; j < d; j++) feats[t][j] = e[j];
            feats[t][d] = 1;
        }
        iw.close();
        double[][] gram = new double[n][n];
        for (double[] x : feats) {
            for (int i = 0; i < n; i++) {
                double xi = x[i];
                if (xi == 0) continue;
                for (int j = 0; j <= i; j++) gram[i][j] += xi * x[j];
            }
        }
        double trace = 0;
        for (int i = 0; i < n; i++) trace += gram[i][i];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) gram[i][j] = gram[j][i];
            gram[i][i] += 1e-4 * trace / n;
        }
        double[][] chol = cholesky(gram);
        for (int l = 0; l < cfg.depth(); l++) {
            for (boolean mlp : new boolean[]{false, true}) {
                float[] wt = new float[(h - 1) * d], b = new float[h - 1];
                for (int k = 1; k < h; k++) {
                    double tau = tau(cfg, level, l, k, mlp);
                    double[] rhs = new double[n];
                    for (int t = 0; t < 1000; t++) {
                        double z = 20 * (tau - t / 1000.0);
                        for (int j = 0; j < n; j++) rhs[j] += feats[t][j] * z;
                    }
                    double[] beta = solve(chol, rhs);
                    for (int j = 0; j < d; j++) wt[(k - 1) * d + j] = (float) beta[j];
                    b[k - 1] = (float) beta[d];
                }
                String key = mlp ? DiTKeys.mlpRouter(l) : DiTKeys.attnRouter(l);
                w.put(key + ".weight", Tensor.ofFloats(new long[]{h - 1, d}, wt));
                w.put(key + ".bias", Tensor.ofFloats(new long[]{h - 1}, b));
            }
        }
    }

    /**
     * Each layer's token-router output bias := −median of its logits, in two rounds: first on noised inputs at the
     * timesteps, then on the inputs that a DDPM-250 chain sampled with the model so calibrated reaches at those
     * timesteps (a trajectory's inputs differ from noised data, and keep a different share of tokens). One engine
     * serves both rounds and the chain: the width routers do not change in between.
     */
    private static Trajectory calibrateTokenRouters(DiTConfig cfg, LinkedHashMap<String, Tensor> w, int[] timesteps,
                                                    Random r, Consumer<String> log) throws FormatException {
        GaussianDiffusion diffusion = GaussianDiffusion.create("");
        int per = cfg.inChannels() * cfg.inputSize() * cfg.inputSize(), n = calibrationSamples(cfg);
        float[][] xs = new float[timesteps.length][n * per];
        int[][] ys = new int[timesteps.length][n];
        for (int i = 0; i < timesteps.length; i++) {
            double ab = diffusion.alphaCumprod(timesteps[i]);
            for (int j = 0; j < n * per; j++) {
                xs[i][j] = (float) (Math.sqrt(ab) * 0.8 * r.nextGaussian() + Math.sqrt(1 - ab) * r.nextGaussian());
            }
            for (int j = 0; j < n; j++) ys[i][j] = r.nextInt(cfg.numClasses());
        }
        try (DynamicEngine e = engine(cfg, w)) {
            long t0 = System.nanoTime();
            calibrateOn(e, cfg, w, timesteps, xs, ys);
            log.accept(String.format("router recipe: token routers calibrated on noised inputs (%.0f s)", (System.nanoTime() - t0) / 1e9));
            int[] labels = ys[0];
            long[] shape = {n, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
            log.accept("router recipe: sampling a DDPM-250 chain of " + n + " to calibrate the token routers on");
            long t1 = System.nanoTime();
            float[][] chain = TrajectoryInputs.record(e, new AncestralSampler(GaussianDiffusion.create("250")),
                    NoiseSource.seeded(r.nextLong()), shape, labels, timesteps, null, log);
            log.accept(String.format("router recipe: chain sampled (%.0f s)", (System.nanoTime() - t1) / 1e9));
            for (int i = 0; i < timesteps.length; i++) ys[i] = labels;
            long t2 = System.nanoTime();
            double[][] kept = calibrateOn(e, cfg, w, timesteps, chain, ys);
            log.accept(String.format("router recipe: token routers calibrated to keep about half of the tokens of a "
                    + "DDPM-250 trajectory (%.0f s)", (System.nanoTime() - t2) / 1e9));
            return new Trajectory(chain, ys, kept);
        }
    }

    /**
     * Sets each layer's token-router output bias, layer after layer, to minus its median logit on the inputs (in
     * the engine and in {@code w}); returns the share of the tokens then kept per input and layer.
     */
    private static double[][] calibrateOn(DynamicEngine e, DiTConfig cfg, LinkedHashMap<String, Tensor> w,
                                          int[] timesteps, float[][] xs, int[][] ys) {
        long[] shape = {ys[0].length, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
        DynamicEngine.TokenCalibration c = e.calibrateTokenRouters(xs, shape, timesteps, ys, (layer, logits) -> {
            float[] all = logits.clone();
            Arrays.sort(all);
            float median = 0.5f * (all[all.length / 2 - 1] + all[all.length / 2]);
            return -median;
        });
        for (int l = 0; l < cfg.depth(); l++) {
            w.put(DiTKeys.tokenRouter2(l) + ".bias", Tensor.ofFloats(new long[]{1}, new float[]{c.biases()[l]}));
        }
        return c.keptShare();
    }

    private static Tensor gaussian(long[] shape, double std, Random r) {
        float[] v = new float[Math.toIntExact(Tensor.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
        return Tensor.ofFloats(shape, v);
    }

    private static double[][] cholesky(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                if (i == j) {
                    if (s <= 0) throw new IllegalStateException("router fit: matrix not positive definite");
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return l;
    }

    private static double[] solve(double[][] l, double[] b) {
        int n = b.length;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
            y[i] = s / l[i][i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k][i] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }
}
