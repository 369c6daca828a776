package org.dydit.diffusion;

/**
 * DDIM (Song et al.) on a respaced process: ε is re-derived from x̂0, the learned variance is ignored, and
 * η scales the injected noise (η = 0: deterministic; η = 1: the DDPM posterior variance of the spacing).
 */
public final class DdimSampler extends DiffusionSampler {
    private final double eta;

    public DdimSampler(GaussianDiffusion diffusion, double eta) {
        super(diffusion);
        if (!(eta >= 0) || Double.isInfinite(eta)) throw new IllegalArgumentException("DDIM eta must be >= 0, got " + eta);
        this.eta = eta;
    }

    /** DDIM on DiT's schedule shortened by {@code respacing} ("ddim50", "50", ...). */
    public static DdimSampler dit(String respacing, double eta) {
        return new DdimSampler(GaussianDiffusion.create(respacing), eta);
    }

    public double eta() {
        return eta;
    }

    @Override
    public boolean usesNoise(int k) {
        return k != 0 && eta != 0;
    }

    @Override
    public Step step(float[] x, long[] shape, int[] k, float[] modelOutput, float[] noise) {
        GaussianDiffusion.Prediction p = diffusion.predict(x, shape, k, modelOutput);
        int n = x.length / k.length;
        float[] xPrev = new float[x.length];
        for (int b = 0; b < k.length; b++) {
            int kb = k[b];
            double ab = diffusion.alphaCumprod(kb);
            double abPrev = diffusion.alphaCumprodPrev(kb);
            double r = diffusion.sqrtRecipAlphaCumprod(kb);
            double rm1 = diffusion.sqrtRecipm1AlphaCumprod(kb);
            double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
            double dirCoef = Math.sqrt(1 - abPrev - sigma * sigma);
            double x0Coef = Math.sqrt(abPrev);
            boolean noisy = usesNoise(kb);
            if (noisy) requireNoise(noise, x.length, kb);
            for (int i = b * n; i < (b + 1) * n; i++) {
                double x0 = p.predXStart[i];
                double eps = (r * x[i] - x0) / rm1;
                double v = x0 * x0Coef + dirCoef * eps;
                if (noisy) v += sigma * noise[i];
                xPrev[i] = (float) v;
            }
        }
        return new Step(xPrev, Shape4.toFloats(p.predXStart));
    }
}
