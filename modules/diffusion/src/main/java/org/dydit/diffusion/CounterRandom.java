package org.dydit.diffusion;

/**
 * A counter-based random generator: every number is a pure function of (seed, domain, a, b, index), computed by
 * hashing, with no state to advance. So a value does not depend on how work is split into batches, threads or
 * Spark tasks, and resuming needs only the seed and the step.
 *
 * <p>The hash chains the SplitMix64 finaliser over the key words; within one (seed, domain, a, b) stream the
 * index-th value is SplitMix64's output at that counter. Normals use the Box–Muller transform with
 * {@link StrictMath}, so executors on different CPUs draw identical bits.
 */
public final class CounterRandom {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;    // SplitMix64's increment (odd, golden ratio)
    private static final long WORD = 0xD1B54A32D192ED03L;     // another odd constant to separate key words
    private static final double TWO_PI = 2 * Math.PI;
    private static final double ULP53 = 0x1.0p-53;

    private final long seed;

    public CounterRandom(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The stream key of (domain, a, b) under this seed. */
    long key(long domain, long a, long b) {
        long h = mix64(seed ^ GAMMA);
        h = mix64(h + domain * WORD);
        h = mix64(h + a * WORD);
        return mix64(h + b * WORD);
    }

    /** 64 random bits: the {@code index}-th value of stream (domain, a, b). */
    public long bits(long domain, long a, long b, long index) {
        return mix64(key(domain, a, b) + (index + 1) * GAMMA);
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    public double uniform(long domain, long a, long b, long index) {
        return (bits(domain, a, b, index) >>> 11) * ULP53;
    }

    /** A uniform integer in [0, bound) (multiply-shift on 32 bits; the bias, below bound/2^32, is negligible). */
    public int uniformInt(long domain, long a, long b, long index, int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        long hi = bits(domain, a, b, index) >>> 32;
        return (int) ((hi * bound) >>> 32);
    }

    /**
     * Fills {@code dst[offset .. offset+count)} with elements 0..count−1 of the standard-normal stream
     * (domain, a, b). Element 2p and 2p+1 are the cosine and sine halves of one Box–Muller pair, so any prefix
     * of a stream is the same whatever {@code count} is.
     */
    public void fillGaussian(float[] dst, int offset, int count, long domain, long a, long b) {
        long key = key(domain, a, b);
        for (int j = 0; j < count; j += 2) {
            long p = j >>> 1;
            double u1 = ((mix64(key + (2 * p + 1) * GAMMA) >>> 11) + 1) * ULP53;   // (0, 1]: log stays finite
            double u2 = (mix64(key + (2 * p + 2) * GAMMA) >>> 11) * ULP53;
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double theta = TWO_PI * u2;
            dst[offset + j] = (float) (r * StrictMath.cos(theta));
            if (j + 1 < count) dst[offset + j + 1] = (float) (r * StrictMath.sin(theta));
        }
    }
}
