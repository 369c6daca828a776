package org.dydit.diffusion;

import java.util.Arrays;

/**
 * A discrete Gaussian diffusion process with ε-prediction and a learned-range variance, the setting of every
 * DiT / DyDiT model. All schedule buffers are float64.
 *
 * <p>An instance is either the full 1000-step training process or a shortened ("respaced") sampling process.
 * Its methods take <em>indices</em> {@code k} into its own schedule; {@link #originalTimestep(int)} maps an
 * index to the timestep of the 1000-step process, which is what the network must receive.
 *
 * <p>Tensors are row-major NCHW {@code float[]} (as the network sees them) with one index per sample; the
 * arithmetic is done in double and rounded once.
 */
public final class GaussianDiffusion {
    private final double[] betas;
    private final int[] timestepMap;
    private final double[] logBetas;
    private final double[] alphasCumprod;
    private final double[] alphasCumprodPrev;
    private final double[] sqrtAlphasCumprod;
    private final double[] sqrtOneMinusAlphasCumprod;
    private final double[] sqrtRecipAlphasCumprod;
    private final double[] sqrtRecipm1AlphasCumprod;
    private final double[] posteriorVariance;
    private final double[] posteriorLogVarianceClipped;
    private final double[] posteriorMeanCoef1;
    private final double[] posteriorMeanCoef2;

    /**
     * A process with the given β, whose index {@code k} stands for original timestep {@code timestepMap[k]}.
     * At least two steps: the clipped posterior log-variance borrows step 1's value for step 0.
     */
    public GaussianDiffusion(double[] betas, int[] timestepMap) {
        if (betas.length < 2) {
            throw new IllegalArgumentException("a diffusion process needs at least 2 steps, got " + betas.length);
        }
        if (timestepMap.length != betas.length) {
            throw new IllegalArgumentException("timestep map has " + timestepMap.length + " entries for "
                    + betas.length + " betas");
        }
        for (int k = 0; k < betas.length; k++) {
            if (!(betas[k] > 0 && betas[k] <= 1)) {
                throw new IllegalArgumentException("beta[" + k + "] = " + betas[k] + " is outside (0, 1]");
            }
        }
        int n = betas.length;
        this.betas = betas.clone();
        this.timestepMap = timestepMap.clone();
        logBetas = new double[n];
        alphasCumprod = new double[n];
        alphasCumprodPrev = new double[n];
        sqrtAlphasCumprod = new double[n];
        sqrtOneMinusAlphasCumprod = new double[n];
        sqrtRecipAlphasCumprod = new double[n];
        sqrtRecipm1AlphasCumprod = new double[n];
        posteriorVariance = new double[n];
        posteriorLogVarianceClipped = new double[n];
        posteriorMeanCoef1 = new double[n];
        posteriorMeanCoef2 = new double[n];
        double prod = 1.0;
        for (int k = 0; k < n; k++) {
            double b = betas[k];
            double alpha = 1.0 - b;
            alphasCumprodPrev[k] = prod;
            prod *= alpha;
            double ac = prod;
            double acPrev = alphasCumprodPrev[k];
            alphasCumprod[k] = ac;
            logBetas[k] = Math.log(b);
            sqrtAlphasCumprod[k] = Math.sqrt(ac);
            sqrtOneMinusAlphasCumprod[k] = Math.sqrt(1.0 - ac);
            sqrtRecipAlphasCumprod[k] = Math.sqrt(1.0 / ac);
            sqrtRecipm1AlphasCumprod[k] = Math.sqrt(1.0 / ac - 1);
            posteriorVariance[k] = b * (1.0 - acPrev) / (1.0 - ac);
            posteriorMeanCoef1[k] = b * Math.sqrt(acPrev) / (1.0 - ac);
            posteriorMeanCoef2[k] = (1.0 - acPrev) * Math.sqrt(alpha) / (1.0 - ac);
        }
        // The true posterior variance is 0 at step 0; its log is clipped to step 1's value to stay finite.
        for (int k = 0; k < n; k++) {
            posteriorLogVarianceClipped[k] = Math.log(posteriorVariance[k == 0 ? 1 : k]);
        }
    }

    /** The unrespaced process over {@code betas}: index k is timestep k. */
    public static GaussianDiffusion fromBetas(double[] betas) {
        int[] map = new int[betas.length];
        for (int i = 0; i < map.length; i++) map[i] = i;
        return new GaussianDiffusion(betas, map);
    }

    /**
     * DiT's {@code create_diffusion(respacing)}: the linear 1000-step schedule, shortened by {@code respacing}
     * ({@code ""} for training, {@code "250"} for DDPM sampling, {@code "ddim50"} for DDIM; see
     * {@link TimestepRespacing}). Like the reference, even {@code ""} recomputes β from ᾱ, which moves it by ~1e-13.
     */
    public static GaussianDiffusion create(String respacing) {
        return respaced(NoiseSchedule.linear(NoiseSchedule.DIT_TIMESTEPS), respacing);
    }

    /** The process over {@code baseBetas} shortened by {@code respacing}. */
    public static GaussianDiffusion respaced(double[] baseBetas, String respacing) {
        GaussianDiffusion base = fromBetas(baseBetas);
        int[] kept = TimestepRespacing.spaceTimesteps(baseBetas.length, respacing);
        return new GaussianDiffusion(TimestepRespacing.respacedBetas(base.alphasCumprod, kept), kept);
    }

    public int numTimesteps() {
        return betas.length;
    }

    /** The timestep of the original process that index {@code k} stands for: what the network receives. */
    public int originalTimestep(int k) {
        return timestepMap[k];
    }

    /** The original timesteps of per-sample indices. */
    public int[] originalTimesteps(int[] k) {
        int[] t = new int[k.length];
        for (int i = 0; i < k.length; i++) t[i] = timestepMap[k[i]];
        return t;
    }

    public int[] timestepMap() { return timestepMap.clone(); }
    public double[] betas() { return betas.clone(); }
    public double[] alphasCumprod() { return alphasCumprod.clone(); }
    public double[] alphasCumprodPrev() { return alphasCumprodPrev.clone(); }
    public double[] posteriorVariance() { return posteriorVariance.clone(); }
    public double[] posteriorLogVarianceClipped() { return posteriorLogVarianceClipped.clone(); }
    public double[] posteriorMeanCoef1() { return posteriorMeanCoef1.clone(); }
    public double[] posteriorMeanCoef2() { return posteriorMeanCoef2.clone(); }

    // Per-index scalars for samplers and losses built on this process (no copies).
    public double beta(int k) { return betas[k]; }
    public double logBeta(int k) { return logBetas[k]; }
    public double alphaCumprod(int k) { return alphasCumprod[k]; }
    public double alphaCumprodPrev(int k) { return alphasCumprodPrev[k]; }
    public double sqrtRecipAlphaCumprod(int k) { return sqrtRecipAlphasCumprod[k]; }
    public double sqrtRecipm1AlphaCumprod(int k) { return sqrtRecipm1AlphasCumprod[k]; }
    public double posteriorLogVarianceClipped(int k) { return posteriorLogVarianceClipped[k]; }
    public double posteriorMeanCoef1(int k) { return posteriorMeanCoef1[k]; }
    public double posteriorMeanCoef2(int k) { return posteriorMeanCoef2[k]; }

    /** q(x_t | x_0): {@code √ᾱ_t·x0 + √(1−ᾱ_t)·noise}, per-sample index {@code t}, into {@code out}. */
    public void qSample(float[] x0, float[] noise, int[] t, long[] shape, float[] out) {
        Shape4 s = Shape4.of(shape, x0.length, "qSample x0");
        s.checkSame(noise.length, "qSample noise");
        s.checkSame(out.length, "qSample output");
        s.checkTimesteps(t, numTimesteps(), "qSample");
        for (int b = 0; b < s.batch; b++) {
            double a = sqrtAlphasCumprod[t[b]];
            double c = sqrtOneMinusAlphasCumprod[t[b]];
            int o = b * s.perSample;
            for (int i = o; i < o + s.perSample; i++) {
                out[i] = (float) (a * x0[i] + c * noise[i]);
            }
        }
    }

    /** {@link #qSample(float[], float[], int[], long[], float[])} into a new array. */
    public float[] qSample(float[] x0, float[] noise, int[] t, long[] shape) {
        float[] out = new float[x0.length];
        qSample(x0, noise, t, shape, out);
        return out;
    }

    /**
     * The network's prediction of p(x_{k−1} | x_k) with ε-prediction and a learned-range variance, without
     * clipping x̂0 (DiT samples with {@code clip_denoised=False}):
     * x̂0 = √(1/ᾱ)·x − √(1/ᾱ−1)·ε̂; mean = c1·x̂0 + c2·x; log σ² = f·log β + (1−f)·log β̃ (clipped), f = (v+1)/2.
     *
     * @param x           x_k (B,C,H,W)
     * @param k           per-sample indices into this process
     * @param modelOutput (B,2C,H,W): ε̂ then v
     */
    public Prediction predict(double[] x, long[] shape, int[] k, double[] modelOutput) {
        Shape4 s = Shape4.of(shape, x.length, "predict x");
        s.checkModelOutput(modelOutput.length, "predict");
        s.checkTimesteps(k, numTimesteps(), "predict");
        int n = x.length;
        double[] predXStart = new double[n];
        double[] mean = new double[n];
        double[] logVar = new double[n];
        for (int b = 0; b < s.batch; b++) {
            int kb = k[b];
            double r = sqrtRecipAlphasCumprod[kb];
            double rm1 = sqrtRecipm1AlphasCumprod[kb];
            double c1 = posteriorMeanCoef1[kb];
            double c2 = posteriorMeanCoef2[kb];
            double maxLog = logBetas[kb];
            double minLog = posteriorLogVarianceClipped[kb];
            int xo = b * s.perSample;
            int eo = 2 * b * s.perSample;      // ε̂ block of sample b
            int vo = eo + s.perSample;         // v block of sample b
            for (int i = 0; i < s.perSample; i++) {
                double xt = x[xo + i];
                double x0 = r * xt - rm1 * modelOutput[eo + i];
                predXStart[xo + i] = x0;
                mean[xo + i] = c1 * x0 + c2 * xt;
                double frac = (modelOutput[vo + i] + 1) / 2;
                logVar[xo + i] = frac * maxLog + (1 - frac) * minLog;
            }
        }
        return new Prediction(predXStart, mean, logVar);
    }

    /** {@link #predict(double[], long[], int[], double[])} for float32 tensors. */
    public Prediction predict(float[] x, long[] shape, int[] k, float[] modelOutput) {
        return predict(Shape4.toDoubles(x), shape, k, Shape4.toDoubles(modelOutput));
    }

    /** x̂0, the mean and the log-variance of p(x_{k−1} | x_k), each (B,C,H,W) in float64. */
    public static final class Prediction {
        public final double[] predXStart;
        public final double[] mean;
        public final double[] logVariance;

        Prediction(double[] predXStart, double[] mean, double[] logVariance) {
            this.predXStart = predXStart;
            this.mean = mean;
            this.logVariance = logVariance;
        }
    }

    @Override
    public String toString() {
        return "GaussianDiffusion[" + numTimesteps() + " steps, timesteps "
                + (numTimesteps() <= 6 ? Arrays.toString(timestepMap)
                : timestepMap[0] + "," + timestepMap[1] + ",...," + timestepMap[numTimesteps() - 1]) + "]";
    }
}
