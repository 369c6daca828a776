package org.dydit.train;

import org.dydit.routing.FlopsLoss;
import org.dydit.routing.GumbelSigmoid;


/**
 * The settings of DyDiT fine-tuning, defaulting to the official scripts (spec §3.9).
 *
 * @param lambda         target FLOPs ratio λ
 * @param rampSteps      λ_t ramp length W (λ = 0.5 script: 1000; λ = 0.7: 5000); see {@link TargetRatio}
 * @param holdSteps      steps with λ_t = 1 (100)
 * @param completeSteps  steps of stage 1, which adds the complete model's diffusion loss (λ = 0.5: 30000 then stage 2;
 *                       λ = 0.7: the whole run, {@link Long#MAX_VALUE})
 * @param tau            Gumbel-sigmoid temperature (5)
 * @param flopsWeight    weight of the FLOPs loss (2)
 * @param stratified     sample sample i's timestep from quarter {@code i mod 4} of [0, 1000) (the scripts' --t_sample)
 * @param optimizer      AdamW, clipping, EMA and seed. The reference applies clipping inconsistently (spec §6 bug 1);
 *                       here it is plain clip-by-global-norm at the scripts' max norm (200, resp. 50).
 */
public record DyDiTRecipe(double lambda, long rampSteps, long holdSteps, long completeSteps, double tau,
                          double flopsWeight, boolean stratified, EngineTrainer.Settings optimizer) {

    public DyDiTRecipe {
        new TargetRatio(lambda, rampSteps, holdSteps);   // validates
        if (!(tau > 0)) throw new IllegalArgumentException("tau must be positive, got " + tau);
        if (flopsWeight < 0) throw new IllegalArgumentException("FLOPs loss weight must be >= 0, got " + flopsWeight);
        if (completeSteps < 0) throw new IllegalArgumentException("complete-model steps must be >= 0, got " + completeSteps);
    }

    /**
     * The official recipe for target {@code lambda}: the λ = 0.7 script (lr 2.5e-5, ramp 5000, complete loss
     * throughout, clip 50) for λ ≥ 0.7, else the λ = 0.5 script (lr 1e-4, ramp 1000, 30k steps with the complete
     * loss, clip 200). AdamW betas (0.9, 0.999), no weight decay, EMA 0.9999, τ 5, FLOPs weight 2, stratified t.
     */
    public static DyDiTRecipe paper(double lambda, long seed) {
        boolean high = lambda >= 0.7;
        EngineTrainer.Settings opt = new EngineTrainer.Settings(high ? 2.5e-5 : 1e-4, 0.9, 0.999, 1e-8, 0,
                high ? 50 : 200, 0.9999, seed);
        return new DyDiTRecipe(lambda, high ? 5000 : 1000, TargetRatio.REFERENCE_HOLD, high ? Long.MAX_VALUE : 30000,
                GumbelSigmoid.TAU, FlopsLoss.REFERENCE_WEIGHT, true, opt);
    }

    public TargetRatio target() {
        return new TargetRatio(lambda, rampSteps, holdSteps);
    }

    public DyDiTRecipe withOptimizer(EngineTrainer.Settings o) {
        return new DyDiTRecipe(lambda, rampSteps, holdSteps, completeSteps, tau, flopsWeight, stratified, o);
    }

    public DyDiTRecipe withRampSteps(long w) {
        return new DyDiTRecipe(lambda, w, holdSteps, completeSteps, tau, flopsWeight, stratified, optimizer);
    }

    public DyDiTRecipe withCompleteSteps(long n) {
        return new DyDiTRecipe(lambda, rampSteps, holdSteps, n, tau, flopsWeight, stratified, optimizer);
    }
}
