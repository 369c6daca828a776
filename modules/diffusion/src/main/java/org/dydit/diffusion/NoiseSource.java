package org.dydit.diffusion;

/**
 * The Gaussian noise of a sampling run, addressed by sample and step instead of drawn in sequence: the
 * starting noise and every step's noise of sample {@code i} depend only on (source, i, step). A sample is then
 * the same whatever batch, partition or executor produced it, and a failed Spark task can be re-run exactly.
 */
@FunctionalInterface
public interface NoiseSource {
    /** The {@code step} value that names the starting noise x_T. Loop steps are the respaced indices k ≥ 0. */
    int INITIAL = -1;

    /** Fills {@code dst[offset .. offset+count)} with standard-normal noise for (sampleIndex, step). */
    void fill(float[] dst, int offset, int count, long sampleIndex, int step);

    /** The counter-based source of {@code seed}; distinct seeds give independent streams. */
    static NoiseSource seeded(long seed) {
        return new CounterNoise(seed);
    }
}
