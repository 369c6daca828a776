package org.dydit.routing;

/**
 * DyDiT's binarisation of a router logit ℓ. Training: {@code s = σ((ℓ + g1 − g2)/τ)} with two independent
 * Gumbel(0,1) draws, decision {@code s > 0.5}, and the straight-through estimator: the forward value is the hard
 * 0/1 decision, the backward pass uses {@code ds/dℓ = s(1−s)/τ}. Evaluation: {@code ℓ > 0}, no noise.
 *
 * <p>The decision is taken as {@code ℓ + g > 0} (g = g1 − g2), which equals {@code s > 0.5} except where σ rounds
 * to exactly 0.5; every implementation here (graph and engine) uses this same form, so they agree bit for bit.
 * τ is fixed at 5 in the reference (never annealed).
 */
public final class GumbelSigmoid {
    private GumbelSigmoid() {}

    /** The reference temperature. */
    public static final double TAU = 5.0;

    /** The hard decision (1 or 0) for logit {@code logit} and Gumbel difference {@code noise} (0 in evaluation). */
    public static double decide(double logit, double noise) {
        return logit + noise > 0 ? 1.0 : 0.0;
    }

    /** The straight-through derivative d mask / d logit: {@code s(1−s)/τ}, s = σ((ℓ+g)/τ). */
    public static double steDerivative(double logit, double noise, double tau) {
        double s = 1.0 / (1.0 + Math.exp(-(logit + noise) / tau));
        return s * (1 - s) / tau;
    }

    /**
     * A Gumbel(0,1) difference {@code g1 − g2} from two uniforms in [0, 1); a Gumbel is {@code −log(E)} with
     * E = −log(U) ~ Exp(1). The uniforms are shifted by 2^-54 so that neither logarithm meets 0.
     */
    public static double gumbelDifference(double u1, double u2) {
        return gumbel(u1) - gumbel(u2);
    }

    static double gumbel(double u) {
        double v = u + 0x1.0p-54;
        return -Math.log(-Math.log(v));
    }
}
