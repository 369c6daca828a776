package org.dydit.diffusion;

/** The {@link NoiseSource} over a {@link CounterRandom}: stream (sampleIndex, step) of the sampling domain. */
public final class CounterNoise implements NoiseSource {
    /** Domain tag that keeps sampling noise apart from training draws of the same seed. */
    static final long DOMAIN = 0x53414D504C45L; // "SAMPLE"

    private final CounterRandom random;

    public CounterNoise(long seed) {
        this.random = new CounterRandom(seed);
    }

    public long seed() {
        return random.seed();
    }

    @Override
    public void fill(float[] dst, int offset, int count, long sampleIndex, int step) {
        random.fillGaussian(dst, offset, count, DOMAIN, sampleIndex, step);
    }

    @Override
    public String toString() {
        return "CounterNoise[seed=" + random.seed() + "]";
    }
}
