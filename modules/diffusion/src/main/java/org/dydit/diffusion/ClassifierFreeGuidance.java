package org.dydit.diffusion;

/**
 * Classifier-free guidance as DiT applies it: one forward over {@code [z; z]} with labels {@code [y; null]}, then
 * {@code ε_u + s·(ε_c − ε_u)} on the first three output channels only (the reference guides {@code out[:, :3]}
 * "for exact reproducibility"); the fourth ε channel and the variance channels keep each half's own values.
 *
 * <p>As a {@link DenoiseModel} this wraps a network and answers for the n conditional samples only: the
 * reference's second (unconditional) half of the sampling batch is discarded at the end and never feeds back
 * (its forward re-duplicates the first half every step), so carrying it would only double the noise draws.
 */
public final class ClassifierFreeGuidance implements DenoiseModel {
    /** The number of leading output channels DiT guides. */
    public static final int DIT_GUIDED_CHANNELS = 3;

    private final DenoiseModel model;
    private final double scale;
    private final int nullLabel;
    private final int guidedChannels;

    public ClassifierFreeGuidance(DenoiseModel model, double scale, int nullLabel) {
        this(model, scale, nullLabel, DIT_GUIDED_CHANNELS);
    }

    public ClassifierFreeGuidance(DenoiseModel model, double scale, int nullLabel, int guidedChannels) {
        if (!Double.isFinite(scale)) throw new IllegalArgumentException("guidance scale must be finite, got " + scale);
        if (guidedChannels < 1) throw new IllegalArgumentException("guided channels must be positive, got " + guidedChannels);
        this.model = model;
        this.scale = scale;
        this.nullLabel = nullLabel;
        this.guidedChannels = guidedChannels;
    }

    /** The guided model when {@code scale > 1}, else the model itself: DiT's samplers use guidance only then. */
    public static DenoiseModel ifEnabled(DenoiseModel model, double scale, int nullLabel) {
        return scale > 1.0 ? new ClassifierFreeGuidance(model, scale, nullLabel) : model;
    }

    public double scale() {
        return scale;
    }

    @Override
    public float[] apply(float[] x, long[] shape, int[] originalTimesteps, int[] labels) {
        Shape4 s = Shape4.of(shape, x.length, "guided model input");
        if (originalTimesteps.length != s.batch || labels.length != s.batch) {
            throw new IllegalArgumentException("guided model: " + s.batch + " samples but " + originalTimesteps.length
                    + " timesteps and " + labels.length + " labels");
        }
        int n = s.batch;
        float[] x2 = new float[2 * x.length];
        System.arraycopy(x, 0, x2, 0, x.length);
        System.arraycopy(x, 0, x2, x.length, x.length);
        int[] t2 = new int[2 * n];
        int[] y2 = new int[2 * n];
        for (int i = 0; i < n; i++) {
            t2[i] = originalTimesteps[i];
            t2[n + i] = originalTimesteps[i];
            y2[i] = labels[i];
            y2[n + i] = nullLabel;
        }
        long[] shape2 = {2L * n, shape[1], shape[2], shape[3]};
        float[] out2 = model.apply(x2, shape2, t2, y2);
        Shape4.of(shape2, x2.length, "guided model input").checkModelOutput(out2.length, "guided model output");
        combine(out2, new long[] {2L * n, 2 * shape[1], shape[2], shape[3]}, scale, guidedChannels);
        float[] out = new float[out2.length / 2];
        System.arraycopy(out2, 0, out, 0, out.length);
        return out;
    }

    /**
     * The reference's guidance on a whole {@code [conditional; unconditional]} output (2n, C', H, W), in place:
     * channels {@code 0..guidedChannels−1} (capped by the channel count, as Python slicing is) of both halves become
     * {@code u + s·(c − u)}; all other channels stay.
     */
    public static void combine(float[] out, long[] outShape, double scale, int guidedChannels) {
        Shape4 s = Shape4.of(outShape, out.length, "guidance output");
        if (s.batch % 2 != 0) {
            throw new IllegalArgumentException("guidance output: batch " + s.batch + " is not [conditional; unconditional]");
        }
        int n = s.batch / 2;
        // The reference slices model_out[:, :3]: with fewer output channels (a 1-channel pixel model outputs 2)
        // the slice simply ends early, so every channel is guided. Same here, as in org.dydit.model's graph version.
        int guided = Math.min(guidedChannels, s.channels) * s.plane;
        for (int b = 0; b < n; b++) {
            int c = b * s.perSample;
            int u = (n + b) * s.perSample;
            for (int i = 0; i < guided; i++) {
                double cond = out[c + i];
                double uncond = out[u + i];
                float g = (float) (uncond + scale * (cond - uncond));
                out[c + i] = g;
                out[u + i] = g;
            }
        }
    }
}
