package org.dydit.diffusion;

/**
 * The random draws of a training step, as functions of (seed, step, sample): timesteps, the noise ε, and
 * classifier-free-guidance label dropout. A step is reproducible bit for bit, on any machine and with any split
 * of the batch over workers, and a checkpoint needs to store only the seed and the step counter.
 *
 * <p>{@code sample} is the sample's global position in the step's batch. {@code pass} separates independent
 * redraws within one step (DyDiT's second, full-width forward draws its label dropout again).
 */
public final class TrainingRandom {
    private static final long TIMESTEP = 0x54494D45L;   // "TIME"
    private static final long NOISE = 0x4E4F495345L;    // "NOISE"
    private static final long DROP = 0x44524F50L;       // "DROP"

    private final CounterRandom random;

    public TrainingRandom(long seed) {
        this.random = new CounterRandom(seed);
    }

    public long seed() {
        return random.seed();
    }

    /** A uniform timestep in [0, numTimesteps) (DiT: t ~ U{0..999}). */
    public int timestep(long step, long sample, int numTimesteps) {
        return random.uniformInt(TIMESTEP, step, sample, 0, numTimesteps);
    }

    /** A uniform timestep in [lo, hi): for stratified sampling such as DyDiT's quarters. */
    public int timestep(long step, long sample, int lo, int hi) {
        if (hi <= lo) throw new IllegalArgumentException("empty timestep range [" + lo + ", " + hi + ")");
        return lo + random.uniformInt(TIMESTEP, step, sample, 0, hi - lo);
    }

    /** The sample's noise ε, {@code count} standard normals into {@code dst[offset..]}. */
    public void noise(float[] dst, int offset, int count, long step, long sample) {
        random.fillGaussian(dst, offset, count, NOISE, step, sample);
    }

    /** Whether the sample's label is replaced by the null class, with probability {@code prob} (DiT: 0.1). */
    public boolean dropLabel(long step, long sample, int pass, double prob) {
        if (!(prob >= 0 && prob <= 1)) throw new IllegalArgumentException("dropout probability " + prob + " outside [0,1]");
        return random.uniform(DROP, step, sample, pass) < prob;
    }

    /** The underlying generator, for further draws of other components (give them their own domain tag). */
    public CounterRandom generator() {
        return random;
    }
}
