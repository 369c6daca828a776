package org.dydit.diffusion;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sampling loops: what the model sees, batch independence, and exactness on a known data distribution. */
class SamplerTest {
    private static final int C = 2, H = 3, W = 3;

    /** A per-sample deterministic stand-in network: depends on x, t and the label, sample by sample. */
    private static float[] toyModel(float[] x, long[] shape, int[] t, int[] y) {
        int per = C * H * W;
        float[] out = new float[2 * x.length];
        for (int b = 0; b < shape[0]; b++) {
            for (int i = 0; i < per; i++) {
                double xi = x[b * per + i];
                out[2 * b * per + i] = (float) (0.3 * xi + 0.01 * y[b] + 1e-4 * t[b] * Math.sin(i));
                out[2 * b * per + per + i] = (float) Math.tanh(0.5 * xi + 0.001 * t[b] - 0.2);
            }
        }
        return out;
    }

    private static long[] shape(int batch) {
        return new long[] {batch, C, H, W};
    }

    @Test
    void modelReceivesTheOriginalTimestepsInReverseOrder() {
        GaussianDiffusion d = GaussianDiffusion.create("25");
        List<Integer> seen = new ArrayList<>();
        DenoiseModel recording = (x, s, t, y) -> {
            for (int v : t) assertEquals(t[0], v, "one timestep for the whole batch");
            seen.add(t[0]);
            return toyModel(x, s, t, y);
        };
        int[] steps = {0};
        new AncestralSampler(d).sample(recording, shape(2), new int[] {1, 2}, NoiseSource.seeded(1), 0,
                (done, total) -> { steps[0] = done; assertEquals(25, total); });
        int[] map = d.timestepMap();
        assertEquals(map.length, seen.size());
        for (int i = 0; i < map.length; i++) assertEquals(map[map.length - 1 - i], seen.get(i));
        assertEquals(999, seen.get(0));
        assertEquals(25, steps[0]);
    }

    @Test
    void samplesDoNotDependOnTheBatchTheyWereDrawnIn() {
        for (DiffusionSampler sampler : new DiffusionSampler[] {
                new AncestralSampler(GaussianDiffusion.create("20")),
                new DdimSampler(GaussianDiffusion.create("ddim10"), 0.5)}) {
            NoiseSource noise = NoiseSource.seeded(42);
            int[] labels = {3, 1, 4, 1, 5};
            float[] all = sampler.sample(SamplerTest::toyModel, shape(5), labels, noise, 100, null);
            float[] first = sampler.sample(SamplerTest::toyModel, shape(2), Arrays.copyOfRange(labels, 0, 2), noise, 100, null);
            float[] rest = sampler.sample(SamplerTest::toyModel, shape(3), Arrays.copyOfRange(labels, 2, 5), noise, 102, null);
            float[] joined = new float[all.length];
            System.arraycopy(first, 0, joined, 0, first.length);
            System.arraycopy(rest, 0, joined, first.length, rest.length);
            assertArrayEquals(all, joined, sampler.getClass().getSimpleName());
            float[] otherSeed = sampler.sample(SamplerTest::toyModel, shape(5), labels, NoiseSource.seeded(43), 100, null);
            assertNotEquals(Arrays.toString(all), Arrays.toString(otherSeed));
        }
    }

    /**
     * When the data is one point x0*, the exact ε-predictor is (x_t − √ᾱ·x0*)/√(1−ᾱ); with it every x̂0 is x0*,
     * and both samplers must end on x0* whatever the noise (the last DDPM step has c1 = 1, c2 = 0 and no noise).
     */
    @Test
    void exactPredictorRecoversAPointDistribution() {
        GaussianDiffusion full = GaussianDiffusion.create("");
        float[] target = new float[C * H * W];
        for (int i = 0; i < target.length; i++) target[i] = (float) (0.7 * Math.cos(i));
        DenoiseModel oracle = (x, s, t, y) -> {
            int per = target.length;
            float[] out = new float[2 * x.length];
            for (int b = 0; b < s[0]; b++) {
                double ab = full.alphaCumprod(t[b]);
                for (int i = 0; i < per; i++) {
                    out[2 * b * per + i] = (float) ((x[b * per + i] - Math.sqrt(ab) * target[i]) / Math.sqrt(1 - ab));
                    out[2 * b * per + per + i] = 0.3f;
                }
            }
            return out;
        };
        for (DiffusionSampler sampler : new DiffusionSampler[] {
                new AncestralSampler(GaussianDiffusion.create("50")),
                new DdimSampler(GaussianDiffusion.create("ddim20"), 0.0),
                new DdimSampler(GaussianDiffusion.create("ddim20"), 1.0)}) {
            float[] out = sampler.sample(oracle, shape(3), new int[] {0, 0, 0}, NoiseSource.seeded(5), 0, null);
            for (int b = 0; b < 3; b++) {
                for (int i = 0; i < target.length; i++) {
                    assertEquals(target[i], out[b * target.length + i], 2e-4,
                            sampler.getClass().getSimpleName() + " sample " + b + " element " + i);
                }
            }
        }
    }

    @Test
    void ddimWithEtaZeroIgnoresStepNoise() {
        DdimSampler ddim = new DdimSampler(GaussianDiffusion.create("ddim10"), 0.0);
        float[] xT = new float[2 * C * H * W];
        NoiseSource.seeded(9).fill(xT, 0, xT.length, 0, NoiseSource.INITIAL);
        float[] a = ddim.sampleFrom(xT, SamplerTest::toyModel, shape(2), new int[] {0, 1}, NoiseSource.seeded(1), 0, null);
        float[] b = ddim.sampleFrom(xT, SamplerTest::toyModel, shape(2), new int[] {0, 1}, NoiseSource.seeded(2), 0, null);
        assertArrayEquals(a, b);
    }

    @Test
    void ddpmStepAddsLearnedSigmaNoiseExceptAtTheLastStep() {
        GaussianDiffusion d = GaussianDiffusion.create("10");
        AncestralSampler s = new AncestralSampler(d);
        int n = C * H * W;
        float[] x = new float[2 * n];
        float[] z = new float[2 * n];
        NoiseSource.seeded(3).fill(x, 0, 2 * n, 0, 0);
        NoiseSource.seeded(4).fill(z, 0, 2 * n, 0, 0);
        float[] out = toyModel(x, shape(2), new int[] {0, 0}, new int[] {0, 0});
        int[] k = {0, 6};
        DiffusionSampler.Step st = s.step(x, shape(2), k, out, z);
        GaussianDiffusion.Prediction p = d.predict(x, shape(2), k, out);
        for (int i = 0; i < n; i++) assertEquals((float) p.mean[i], st.xPrev[i], 0, "no noise at k=0");
        double moved = 0;
        for (int i = n; i < 2 * n; i++) {
            double sigma = Math.exp(0.5 * p.logVariance[i]);
            // σ lies between the clipped posterior std and √β of that respaced step
            double lo = Math.exp(0.5 * d.posteriorLogVarianceClipped()[6]);
            double hi = Math.sqrt(d.betas()[6]);
            assertTrue(sigma >= Math.min(lo, hi) * (1 - 1e-12) && sigma <= Math.max(lo, hi) * (1 + 1e-12));
            assertEquals(p.mean[i] + sigma * z[i], st.xPrev[i], 1e-6);
            moved += Math.abs(st.xPrev[i] - p.mean[i]);
        }
        assertTrue(moved > 0);
        assertThrows(IllegalArgumentException.class, () -> s.step(x, shape(2), k, out, null));
    }

    @Test
    void wrongModelOutputSizeIsReported() {
        AncestralSampler s = new AncestralSampler(GaussianDiffusion.create("5"));
        DenoiseModel broken = (x, sh, t, y) -> new float[x.length];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.sample(broken, shape(1), new int[] {0}, NoiseSource.seeded(0), 0, null));
        assertTrue(e.getMessage().contains("(B,2C,H,W)"), e.getMessage());
    }
}
