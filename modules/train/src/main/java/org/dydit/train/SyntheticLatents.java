package org.dydit.train;

import org.dydit.diffusion.CounterRandom;
import org.dydit.model.DiTConfig;

/**
 * An in-memory, class-conditional toy dataset for smoke training: each class has a fixed random latent
 * "prototype", and a sample is its class prototype plus 0.1-scaled noise. Batches are functions of (seed, step),
 * so training on it is reproducible and resumable without storing a data cursor.
 */
public final class SyntheticLatents {
    private static final long PROTO = 0x50524F54L;   // "PROT"
    private static final long PICK = 0x5049434BL;    // "PICK"
    private static final long JITTER = 0x4A495454L;  // "JITT"

    private final DiTConfig cfg;
    private final CounterRandom random;
    private final float[][] prototypes;
    private final int perSample;

    public SyntheticLatents(DiTConfig cfg, long seed) {
        this.cfg = cfg;
        this.random = new CounterRandom(seed);
        this.perSample = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        this.prototypes = new float[cfg.numClasses()][perSample];
        for (int c = 0; c < cfg.numClasses(); c++) random.fillGaussian(prototypes[c], 0, perSample, PROTO, c, 0);
    }

    /** Fills batch {@code step}: latents (B*C*H*W) and labels (B). */
    public void batch(long step, float[] x0, int[] labels) {
        float[] jitter = new float[perSample];
        for (int i = 0; i < labels.length; i++) {
            int c = random.uniformInt(PICK, step, i, 0, cfg.numClasses());
            labels[i] = c;
            random.fillGaussian(jitter, 0, perSample, JITTER, step, i);
            for (int k = 0; k < perSample; k++) x0[i * perSample + k] = prototypes[c][k] + 0.1f * jitter[k];
        }
    }

    public int perSample() {
        return perSample;
    }
}
