package org.dydit.diffusion;

/**
 * The discretized Gaussian log-likelihood of the decoder term L_0: data in [−1, 1] split into bins of width
 * 2/255, the two outer bins extended to ±∞. DiT applies it to latents as they are (not images), so the bins are
 * only a convention there, kept for parity with the reference.
 *
 * <p>The normal CDF is the tanh approximation of the reference (not erf), so the values match it. Each method
 * also returns the derivative with respect to the log standard deviation, which is all the training gradient
 * needs (the mean comes from the detached ε̂).
 */
final class DecoderLikelihood {
    private DecoderLikelihood() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double CUBIC = 0.044715;
    private static final double HALF_BIN = 1.0 / 255.0;
    private static final double FLOOR = 1e-12;   // probabilities are clamped here before the log, as in the reference
    private static final double EDGE = 0.999;    // |x| beyond this is an outer bin

    /** log p(x) for mean {@code mean} and log-std {@code logScale}; {@code dLogScale[0]} receives d log p / d logScale. */
    static double logProb(double x, double mean, double logScale, double[] dLogScale) {
        double centered = x - mean;
        double invStd = Math.exp(-logScale);
        double plusIn = invStd * (centered + HALF_BIN);
        double minIn = invStd * (centered - HALF_BIN);
        // d(in)/d(logScale) = −in, because in = e^{−logScale}·(...)
        double value;
        double grad;
        if (x < -EDGE) {
            double cdfPlus = cdf(plusIn);
            if (cdfPlus > FLOOR) {
                value = Math.log(cdfPlus);
                grad = pdf(plusIn) * -plusIn / cdfPlus;
            } else {
                value = Math.log(FLOOR);
                grad = 0;
            }
        } else if (x > EDGE) {
            double tail = 1.0 - cdf(minIn);
            if (tail > FLOOR) {
                value = Math.log(tail);
                grad = pdf(minIn) * minIn / tail;
            } else {
                value = Math.log(FLOOR);
                grad = 0;
            }
        } else {
            double delta = cdf(plusIn) - cdf(minIn);
            if (delta > FLOOR) {
                value = Math.log(delta);
                grad = (pdf(plusIn) * -plusIn - pdf(minIn) * -minIn) / delta;
            } else {
                value = Math.log(FLOOR);
                grad = 0;
            }
        }
        if (dLogScale != null) dLogScale[0] = grad;
        return value;
    }

    /** The tanh approximation of the standard normal CDF. */
    static double cdf(double u) {
        return 0.5 * (1.0 + Math.tanh(SQRT_2_OVER_PI * (u + CUBIC * u * u * u)));
    }

    /** The derivative of {@link #cdf}. */
    static double pdf(double u) {
        double th = Math.tanh(SQRT_2_OVER_PI * (u + CUBIC * u * u * u));
        return 0.5 * (1.0 - th * th) * SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * u * u);
    }
}
