package org.dydit.diffusion;

import java.util.Arrays;

/**
 * A reverse-process sampling loop over a (usually respaced) {@link GaussianDiffusion}: start from noise, then
 * for k = K−1 … 0 ask the model at the original timestep of k and take one {@link #step}.
 *
 * <p>All randomness comes from a {@link NoiseSource} addressed by (global sample index, step), so the result of
 * a sample does not depend on the batch it was drawn in.
 */
public abstract class DiffusionSampler {
    protected final GaussianDiffusion diffusion;

    protected DiffusionSampler(GaussianDiffusion diffusion) {
        this.diffusion = diffusion;
    }

    public GaussianDiffusion diffusion() {
        return diffusion;
    }

    /** The result of one step: x_{k−1} and the x̂0 it was built from, both (B,C,H,W). */
    public static final class Step {
        public final float[] xPrev;
        public final float[] predXStart;

        Step(float[] xPrev, float[] predXStart) {
            this.xPrev = xPrev;
            this.predXStart = predXStart;
        }
    }

    /**
     * One reverse step from x_k at per-sample indices {@code k} given the model output for it.
     *
     * @param noise (B,C,H,W) standard normals; may be null when {@link #usesNoise(int)} is false for every k
     */
    public abstract Step step(float[] x, long[] shape, int[] k, float[] modelOutput, float[] noise);

    /** Whether the step at index k draws noise (so the loop can skip generating it). */
    public abstract boolean usesNoise(int k);

    /**
     * Draws samples {@code firstSampleIndex .. firstSampleIndex+B−1} of a run: x_T from {@code noise} at
     * {@link NoiseSource#INITIAL}, then the full loop.
     *
     * @param shape  {B, C, H, W} of the latents
     * @param labels B class labels (wrap the model in {@link ClassifierFreeGuidance} for guidance)
     */
    public float[] sample(DenoiseModel model, long[] shape, int[] labels, NoiseSource noise, long firstSampleIndex,
                          SamplingProgress progress) {
        Shape4 s = Shape4.of(shape, (int) Math.min(Integer.MAX_VALUE, product(shape)), "sample shape");
        float[] x = new float[s.batch * s.perSample];
        for (int b = 0; b < s.batch; b++) {
            noise.fill(x, b * s.perSample, s.perSample, firstSampleIndex + b, NoiseSource.INITIAL);
        }
        return sampleFrom(x, model, shape, labels, noise, firstSampleIndex, progress);
    }

    /** The loop from a given x_T (not modified); step noise still comes from {@code noise}. */
    public float[] sampleFrom(float[] xT, DenoiseModel model, long[] shape, int[] labels, NoiseSource noise,
                              long firstSampleIndex, SamplingProgress progress) {
        Shape4 s = Shape4.of(shape, xT.length, "sample x_T");
        if (labels.length != s.batch) {
            throw new IllegalArgumentException("sample: " + s.batch + " samples but " + labels.length + " labels");
        }
        SamplingProgress report = progress == null ? SamplingProgress.NONE : progress;
        int total = diffusion.numTimesteps();
        float[] x = xT.clone();
        int[] k = new int[s.batch];
        int[] t = new int[s.batch];
        float[] z = new float[x.length];
        for (int step = total - 1; step >= 0; step--) {
            Arrays.fill(k, step);
            Arrays.fill(t, diffusion.originalTimestep(step));
            float[] out = model.apply(x, shape, t.clone(), labels.clone());
            if (out == null) throw new IllegalStateException("the model returned no output at step " + step);
            s.checkModelOutput(out.length, "model output at original timestep " + t[0]);
            float[] stepNoise = null;
            if (usesNoise(step)) {
                for (int b = 0; b < s.batch; b++) {
                    noise.fill(z, b * s.perSample, s.perSample, firstSampleIndex + b, step);
                }
                stepNoise = z;
            }
            x = step(x, shape, k, out, stepNoise).xPrev;
            report.onStep(total - step, total);
        }
        return x;
    }

    static long product(long[] shape) {
        if (shape == null) return 0;
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    static void requireNoise(float[] noise, int length, int k) {
        if (noise == null) throw new IllegalArgumentException("step at index " + k + " needs noise, got null");
        if (noise.length != length) {
            throw new IllegalArgumentException("step noise: expected " + length + " values, got " + noise.length);
        }
    }
}
