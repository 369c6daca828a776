package org.dydit.train;

/**
 * The FLOPs target λ_t of training step {@code step}, as the reference computes it: 1 while {@code step < hold}
 * (100), then {@code 1 − (1−λ)·step/ramp} while {@code step ≤ ramp}, then λ. (With ramp 1000 the target drops from
 * 1 to 0.95 at step 100, as in the reference.) {@code ramp = 0} jumps to λ after the hold.
 */
public record TargetRatio(double lambda, long rampSteps, long holdSteps) {
    public TargetRatio {
        if (!(lambda > 0 && lambda <= 1)) throw new IllegalArgumentException("target ratio λ must be in (0, 1], got " + lambda);
        if (rampSteps < 0 || holdSteps < 0) throw new IllegalArgumentException("ramp and hold steps must be >= 0");
    }

    /** The reference's hold: λ_t = 1 for the first 100 steps. */
    public static final long REFERENCE_HOLD = 100;

    public double at(long step) {
        if (step < holdSteps) return 1.0;
        if (rampSteps > 0 && step <= rampSteps) return 1.0 - (1.0 - lambda) * step / rampSteps;
        return lambda;
    }
}
