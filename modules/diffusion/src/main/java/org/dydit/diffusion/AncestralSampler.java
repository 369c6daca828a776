package org.dydit.diffusion;

/**
 * The ancestral (DDPM) sampler of DiT: x_{k−1} = μ + σ·z with the learned-range σ of the respaced process, no
 * noise at k = 0, and x̂0 never clipped.
 */
public final class AncestralSampler extends DiffusionSampler {
    public AncestralSampler(GaussianDiffusion diffusion) {
        super(diffusion);
    }

    /** DiT's FID setting: 250 respaced steps. */
    public static AncestralSampler dit(String respacing) {
        return new AncestralSampler(GaussianDiffusion.create(respacing));
    }

    @Override
    public boolean usesNoise(int k) {
        return k != 0;
    }

    @Override
    public Step step(float[] x, long[] shape, int[] k, float[] modelOutput, float[] noise) {
        GaussianDiffusion.Prediction p = diffusion.predict(x, shape, k, modelOutput);
        int n = x.length / k.length;
        float[] xPrev = new float[x.length];
        for (int b = 0; b < k.length; b++) {
            boolean noisy = usesNoise(k[b]);
            if (noisy) requireNoise(noise, x.length, k[b]);
            for (int i = b * n; i < (b + 1) * n; i++) {
                double v = p.mean[i];
                if (noisy) v += Math.exp(0.5 * p.logVariance[i]) * noise[i];
                xPrev[i] = (float) v;
            }
        }
        return new Step(xPrev, Shape4.toFloats(p.predXStart));
    }
}
