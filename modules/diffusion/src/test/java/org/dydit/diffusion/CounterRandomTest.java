package org.dydit.diffusion;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CounterRandomTest {

    @Test
    void gaussianStreamHasUnitMomentsAndNoCorrelation() {
        NoiseSource noise = NoiseSource.seeded(2024);
        int perSample = 4096, samples = 64;
        float[] z = new float[perSample * samples];
        for (int s = 0; s < samples; s++) noise.fill(z, s * perSample, perSample, s, 17);
        double sum = 0, sq = 0, lag = 0, fourth = 0;
        for (int i = 0; i < z.length; i++) {
            sum += z[i];
            sq += z[i] * (double) z[i];
            fourth += Math.pow(z[i], 4);
            if (i > 0) lag += z[i] * (double) z[i - 1];
        }
        int n = z.length;
        double mean = sum / n;
        double var = sq / n - mean * mean;
        // 5 standard errors: 1/√n for the mean, √(2/n) for the variance, 1/√n for the lag-1 correlation
        assertEquals(0, mean, 5 / Math.sqrt(n));
        assertEquals(1, var, 5 * Math.sqrt(2.0 / n));
        assertEquals(0, lag / n, 5 / Math.sqrt(n));
        assertEquals(3, fourth / n, 5 * Math.sqrt(96.0 / n));
    }

    @Test
    void streamsAreAddressedNotSequenced() {
        NoiseSource noise = NoiseSource.seeded(1);
        float[] a = new float[9];
        float[] b = new float[12];
        noise.fill(a, 0, 9, 5, 3);
        noise.fill(b, 2, 10, 5, 3);
        assertArrayEquals(a, Arrays.copyOfRange(b, 2, 11), "a prefix does not depend on the count");
        float[] again = new float[9];
        noise.fill(again, 0, 9, 5, 3);
        assertArrayEquals(a, again);
        float[] otherSample = new float[9], otherStep = new float[9], initial = new float[9], otherSeed = new float[9];
        noise.fill(otherSample, 0, 9, 6, 3);
        noise.fill(otherStep, 0, 9, 5, 4);
        noise.fill(initial, 0, 9, 5, NoiseSource.INITIAL);
        NoiseSource.seeded(2).fill(otherSeed, 0, 9, 5, 3);
        for (float[] o : new float[][] {otherSample, otherStep, initial, otherSeed}) {
            assertFalse(Arrays.equals(a, o));
        }
    }

    @Test
    void trainingDrawsAreReproducibleAndInRange() {
        TrainingRandom r = new TrainingRandom(77);
        int[] hist = new int[4];
        int drops = 0, trials = 40000;
        for (int s = 0; s < trials; s++) {
            int t = r.timestep(12, s, 1000);
            assertTrue(t >= 0 && t < 1000);
            assertEquals(t, new TrainingRandom(77).timestep(12, s, 1000));
            hist[t / 250]++;
            int q = r.timestep(12, s, 250, 500);
            assertTrue(q >= 250 && q < 500);
            if (r.dropLabel(12, s, 0, 0.1)) drops++;
        }
        for (int h : hist) assertEquals(trials / 4.0, h, 5 * Math.sqrt(trials * 0.25 * 0.75));
        assertEquals(0.1 * trials, drops, 5 * Math.sqrt(trials * 0.1 * 0.9));
        float[] e1 = new float[16], e2 = new float[16], e3 = new float[16];
        r.noise(e1, 0, 16, 3, 0);
        new TrainingRandom(77).noise(e2, 0, 16, 3, 0);
        r.noise(e3, 0, 16, 4, 0);
        assertArrayEquals(e1, e2);
        assertFalse(Arrays.equals(e1, e3));
        // the training noise is its own domain, not the sampling noise of the same seed
        float[] sampling = new float[16];
        NoiseSource.seeded(77).fill(sampling, 0, 16, 3, 0);
        assertFalse(Arrays.equals(e1, sampling));
    }
}
