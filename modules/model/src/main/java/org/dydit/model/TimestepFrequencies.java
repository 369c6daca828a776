package org.dydit.model;

/**
 * The sinusoidal frequencies of DiT's timestep embedder: {@code f_k = exp(-ln(10000) k / 128)}, k = 0..127,
 * embedding {@code [cos(t f), sin(t f)]} (cos first) of the original-scale timestep t.
 */
public final class TimestepFrequencies {
    private TimestepFrequencies() {}

    /** Width of the frequency embedding fed to the timestep MLP. */
    public static final int DIM = 256;
    public static final double MAX_PERIOD = 10000.0;

    /**
     * The frequencies as the reference evaluates them in float32 ({@code exp(-ln(max_period) * arange(half) / half)}
     * with float32 tensors), so float32 runs see bit-identical arguments.
     */
    public static float[] float32() {
        int half = DIM / 2;
        float[] f = new float[half];
        float neg = (float) -Math.log(MAX_PERIOD);
        for (int k = 0; k < half; k++) {
            float a = (neg * (float) k) / (float) half;
            f[k] = (float) Math.exp(a);
        }
        return f;
    }

    /** The same frequencies in float64, for double-precision graphs (gradient checks). */
    public static double[] float64() {
        int half = DIM / 2;
        double[] f = new double[half];
        for (int k = 0; k < half; k++) f[k] = Math.exp(-Math.log(MAX_PERIOD) * k / half);
        return f;
    }

    private static final float[] F32 = float32();
    private static final double[] F64 = float64();

    /**
     * The embedder's input {@code [cos(t f), sin(t f)]} into {@code out[off .. off + DIM)}, the one definition both
     * engines use: in float32 the argument is the reference's float32 product {@code (float) t * f_k} and the
     * results are rounded to float32; in float64 all is double.
     */
    public static void features(double t, boolean float32, double[] out, int off) {
        int half = DIM / 2;
        for (int k = 0; k < half; k++) {
            double arg = float32 ? (double) ((float) t * F32[k]) : t * F64[k];
            double c = Math.cos(arg), s = Math.sin(arg);
            out[off + k] = float32 ? (float) c : c;
            out[off + half + k] = float32 ? (float) s : s;
        }
    }
}
