package org.dydit.train;

/**
 * The optimiser, EMA and seed of a {@link Trainer}, whatever its objective; {@code clipNorm <= 0} disables
 * clipping. The seed fixes every draw of a step (timesteps, ε, label dropout, Gumbel noise) through the
 * counter-based {@link org.dydit.diffusion.TrainingRandom}.
 */
public record TrainerSettings(double lr, double beta1, double beta2, double eps, double weightDecay, double clipNorm,
                              double emaDecay, long seed) {

    public TrainerSettings {
        new AdamW(lr, beta1, beta2, eps, weightDecay);   // validates
        if (!(emaDecay >= 0 && emaDecay <= 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1], got " + emaDecay);
        if (Double.isNaN(clipNorm)) throw new IllegalArgumentException("clip norm is NaN");
    }

    /** DiT's recipe: AdamW lr 1e-4, betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping, EMA 0.9999. */
    public static TrainerSettings dit(long seed) {
        return new TrainerSettings(1e-4, 0.9, 0.999, 1e-8, 0, 0, 0.9999, seed);
    }
}
