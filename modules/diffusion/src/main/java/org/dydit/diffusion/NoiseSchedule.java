package org.dydit.diffusion;

/**
 * The β schedules of the forward process, in float64.
 *
 * <p>DiT trains with the "linear" schedule of Ho et al.: β evenly spaced from 1e-4 to 0.02 over 1000 steps,
 * both ends scaled by {@code 1000/T} so that other step counts keep the same total noise.
 */
public final class NoiseSchedule {
    private NoiseSchedule() {}

    /** The number of training timesteps of every DiT / DyDiT checkpoint. */
    public static final int DIT_TIMESTEPS = 1000;

    /** Linear β over {@code steps} steps (DiT: {@code linear(1000)}). */
    public static double[] linear(int steps) {
        if (steps < 2) {
            throw new IllegalArgumentException("a linear beta schedule needs at least 2 steps, got " + steps);
        }
        double scale = 1000.0 / steps;
        return linspace(scale * 1e-4, scale * 0.02, steps);
    }

    /**
     * Evenly spaced values with both ends included, computed as {@code start + i·step} with the last value set
     * to {@code stop} exactly: the rounding of numpy's {@code linspace}, so the schedule matches the reference bit
     * for bit.
     */
    static double[] linspace(double start, double stop, int n) {
        double[] y = new double[n];
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            y[i] = i * step + start;
        }
        y[n - 1] = stop;
        return y;
    }

    /** A schedule by name, as {@code get_named_beta_schedule} of the reference names it; only "linear" is used by DiT. */
    public static double[] named(String name, int steps) {
        if ("linear".equals(name)) {
            return linear(steps);
        }
        throw new IllegalArgumentException("unknown beta schedule '" + name + "' (supported: linear)");
    }
}
