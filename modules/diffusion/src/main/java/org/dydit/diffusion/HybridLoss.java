package org.dydit.diffusion;

/**
 * DiT's training objective for ε-prediction with a learned-range variance (Nichol &amp; Dhariwal's "hybrid"
 * loss), per sample:
 * <pre>
 *   mse = mean_CHW (ε − ε̂)²
 *   vb  = mean_CHW KL(q(x_{t−1}|x_t,x_0) ‖ p(x_{t−1}|x_t)) / ln 2          for t &gt; 0
 *       = mean_CHW −log p_decoder(x_0 | x_1) / ln 2                         for t = 0
 *   loss = mse + vb
 * </pre>
 * p's mean is built from a <em>detached</em> ε̂, so vb trains only the variance channels v while mse trains only
 * ε̂. The gradient this class returns follows that rule: d loss/d ε̂ = d mse/d ε̂ and d loss/d v = d vb/d v.
 *
 * <p>The training process is the unrespaced one ({@code GaussianDiffusion.create("")}); {@code t} indexes it.
 */
public final class HybridLoss {
    private static final double LN2 = Math.log(2.0);

    private final GaussianDiffusion diffusion;

    public HybridLoss(GaussianDiffusion diffusion) {
        this.diffusion = diffusion;
    }

    public GaussianDiffusion diffusion() {
        return diffusion;
    }

    /** Per-sample terms of the loss. */
    public static final class Terms {
        public final double[] mse;
        public final double[] vb;
        public final double[] loss;

        Terms(int batch) {
            mse = new double[batch];
            vb = new double[batch];
            loss = new double[batch];
        }

        /** The batch mean of {@link #loss}: the scalar DiT minimises. */
        public double meanLoss() {
            double s = 0;
            for (double l : loss) s += l;
            return s / loss.length;
        }
    }

    /**
     * The loss terms and, when {@code grad} is not null, {@code gradScale · d loss_b / d modelOutput_b} written
     * into {@code grad} (B,2C,H,W) for every sample b. Pass {@code gradScale = 1/B} for the gradient of the batch
     * mean.
     *
     * @param x0          clean latents (B,C,H,W)
     * @param xT          the noised input the model saw, {@code qSample(x0, t, noise)}
     * @param noise       the ε that made {@code xT}
     * @param t           per-sample indices into the training process
     * @param modelOutput (B,2C,H,W): ε̂ then v
     */
    public Terms compute(double[] x0, double[] xT, double[] noise, int[] t, double[] modelOutput, long[] shape,
                         double[] grad, double gradScale) {
        Shape4 s = Shape4.of(shape, x0.length, "hybrid loss x0");
        s.checkSame(xT.length, "hybrid loss x_t");
        s.checkSame(noise.length, "hybrid loss noise");
        s.checkModelOutput(modelOutput.length, "hybrid loss");
        s.checkTimesteps(t, diffusion.numTimesteps(), "hybrid loss");
        if (grad != null && grad.length != modelOutput.length) {
            throw new IllegalArgumentException("hybrid loss gradient: expected " + modelOutput.length
                    + " values (B,2C,H,W), got " + grad.length);
        }
        Terms terms = new Terms(s.batch);
        int n = s.perSample;
        double[] dScale = new double[1];
        for (int b = 0; b < s.batch; b++) {
            int tb = t[b];
            double r = diffusion.sqrtRecipAlphaCumprod(tb);
            double rm1 = diffusion.sqrtRecipm1AlphaCumprod(tb);
            double c1 = diffusion.posteriorMeanCoef1(tb);
            double c2 = diffusion.posteriorMeanCoef2(tb);
            double maxLog = diffusion.logBeta(tb);
            double minLog = diffusion.posteriorLogVarianceClipped(tb);
            double trueLogVar = minLog;           // q's variance is β̃_t, clipped the same way
            double dLogVarDv = (maxLog - minLog) / 2;
            boolean decoder = tb == 0;
            int xo = b * n;
            int eo = 2 * b * n;
            int vo = eo + n;
            double mseSum = 0;
            double vbSum = 0;
            double mseGrad = gradScale * -2.0 / n;
            double vbGrad = gradScale / (n * LN2);
            for (int i = 0; i < n; i++) {
                double eps = noise[xo + i];
                double epsHat = modelOutput[eo + i];
                double diff = eps - epsHat;
                mseSum += diff * diff;

                double xt = xT[xo + i];
                double x0i = x0[xo + i];
                double predX0 = r * xt - rm1 * epsHat;
                double modelMean = c1 * predX0 + c2 * xt;
                double frac = (modelOutput[vo + i] + 1) / 2;
                double logVar = frac * maxLog + (1 - frac) * minLog;
                double term;
                double dTermDLogVar;
                if (decoder) {
                    // −log p, log-std = logVar/2
                    term = -DecoderLikelihood.logProb(x0i, modelMean, 0.5 * logVar, dScale);
                    dTermDLogVar = -0.5 * dScale[0];
                } else {
                    double trueMean = c1 * x0i + c2 * xt;
                    double dm = trueMean - modelMean;
                    double ratio = Math.exp(trueLogVar - logVar);
                    double scaledSq = dm * dm * Math.exp(-logVar);
                    term = 0.5 * (-1.0 + logVar - trueLogVar + ratio + scaledSq);
                    dTermDLogVar = 0.5 * (1.0 - ratio - scaledSq);
                }
                vbSum += term;
                if (grad != null) {
                    grad[eo + i] = mseGrad * diff;
                    grad[vo + i] = vbGrad * dTermDLogVar * dLogVarDv;
                }
            }
            terms.mse[b] = mseSum / n;
            terms.vb[b] = vbSum / n / LN2;
            terms.loss[b] = terms.mse[b] + terms.vb[b];
        }
        return terms;
    }

    /**
     * The float32 entry point of the training engine: the terms, and {@code gradScale · d loss_b/d output_b}
     * in {@code grad} (may be null). The arithmetic is float64.
     */
    public Terms compute(float[] x0, float[] xT, float[] noise, int[] t, float[] modelOutput, long[] shape,
                         float[] grad, double gradScale) {
        if (grad != null && grad.length != modelOutput.length) {
            throw new IllegalArgumentException("hybrid loss gradient: expected " + modelOutput.length
                    + " values (B,2C,H,W), got " + grad.length);
        }
        double[] g = grad == null ? null : new double[grad.length];
        Terms terms = compute(Shape4.toDoubles(x0), Shape4.toDoubles(xT), Shape4.toDoubles(noise), t,
                Shape4.toDoubles(modelOutput), shape, g, gradScale);
        if (grad != null) {
            for (int i = 0; i < g.length; i++) grad[i] = (float) g[i];
        }
        return terms;
    }
}
