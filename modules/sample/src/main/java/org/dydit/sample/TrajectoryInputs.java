package org.dydit.sample;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.NoiseSource;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The inputs x_t that a whole ancestral (DDPM) chain, sampled with an engine from seeded noise, passes through at
 * chosen timesteps: what the speed benchmark replays and what the router recipe calibrates its token routers on.
 * Sample s starts from {@code noise}'s initial draw for s and takes its step-k draw at step k, as in sampling.
 */
public final class TrajectoryInputs {
    private TrajectoryInputs() {}

    /** Called with each kept input (before the engine runs on it) and its timestep. */
    public interface Visit {
        void at(float[] x, int[] t);
    }

    /**
     * Runs the chain of {@code sampler} for {@code labels.length} samples of shape {@code shape} and returns copies of
     * its inputs at {@code timesteps} (original timesteps, in the given order); each must be a step of the chain.
     */
    public static float[][] record(DynamicEngine engine, AncestralSampler sampler, NoiseSource noise, long[] shape,
                            int[] labels, int[] timesteps, Visit visit, Consumer<String> log) {
        GaussianDiffusion g = sampler.diffusion();
        int n = g.numTimesteps(), b = labels.length, per = Math.toIntExact(shape[1] * shape[2] * shape[3]);
        float[] x = new float[b * per], z = new float[b * per];
        for (int s = 0; s < b; s++) noise.fill(x, s * per, per, s, NoiseSource.INITIAL);
        float[][] inputs = new float[timesteps.length][];
        long start = System.nanoTime();
        for (int k = n - 1; k >= 0; k--) {
            int tk = g.originalTimestep(k);
            int[] t = new int[b], ks = new int[b];
            Arrays.fill(t, tk);
            Arrays.fill(ks, k);
            boolean kept = false;
            for (int i = 0; i < timesteps.length; i++) {
                if (timesteps[i] == tk) {
                    inputs[i] = x.clone();
                    kept = true;
                }
            }
            if (kept && visit != null) visit.at(x, t);
            float[] out = engine.forward(x, shape, t, labels);
            float[] stepNoise = null;
            if (sampler.usesNoise(k)) {
                for (int s = 0; s < b; s++) noise.fill(z, s * per, per, s, k);
                stepNoise = z;
            }
            x = sampler.step(x, shape, ks, out, stepNoise).xPrev;
            if ((n - k) % 50 == 0) log.accept(String.format("  chain step %d/%d (%.0f s)", n - k, n, (System.nanoTime() - start) / 1e9));
        }
        for (int i = 0; i < timesteps.length; i++) {
            if (inputs[i] == null) {
                throw new IllegalArgumentException("timestep " + timesteps[i] + " is not a step of the DDPM-" + n + " chain");
            }
        }
        return inputs;
    }
}
