package org.dydit.train;

import com.fasterxml.jackson.databind.JsonNode;
import org.dydit.routing.FlopsLoss;
import org.dydit.routing.GumbelSigmoid;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

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
                          double flopsWeight, boolean stratified, TrainerSettings optimizer) {

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
        TrainerSettings opt = new TrainerSettings(high ? 2.5e-5 : 1e-4, 0.9, 0.999, 1e-8, 0, high ? 50 : 200, 0.9999, seed);
        return new DyDiTRecipe(lambda, high ? 5000 : 1000, TargetRatio.REFERENCE_HOLD, high ? Long.MAX_VALUE : 30000,
                GumbelSigmoid.TAU, FlopsLoss.REFERENCE_WEIGHT, true, opt);
    }

    public TargetRatio target() {
        return new TargetRatio(lambda, rampSteps, holdSteps);
    }

    public DyDiTRecipe withOptimizer(TrainerSettings o) {
        return new DyDiTRecipe(lambda, rampSteps, holdSteps, completeSteps, tau, flopsWeight, stratified, o);
    }

    public DyDiTRecipe withRampSteps(long w) {
        return new DyDiTRecipe(lambda, w, holdSteps, completeSteps, tau, flopsWeight, stratified, optimizer);
    }

    public DyDiTRecipe withCompleteSteps(long n) {
        return new DyDiTRecipe(lambda, rampSteps, holdSteps, n, tau, flopsWeight, stratified, optimizer);
    }

    /** The objective's part as a checkpoint records it (the optimizer is recorded beside it). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lambda", lambda);
        m.put("ramp_steps", rampSteps);
        m.put("hold_steps", holdSteps);
        m.put("complete_steps", completeSteps);
        m.put("tau", tau);
        m.put("flops_weight", flopsWeight);
        m.put("stratified", stratified);
        return m;
    }

    /** The recipe {@link #toMap} wrote into {@code file}, with the optimizer {@code optimizer}; errors name the key. */
    static DyDiTRecipe fromJson(JsonNode r, TrainerSettings optimizer, Path file) throws IOException {
        JsonNode strat = TrainCheckpoint.node(r, "stratified", file);
        if (!strat.isBoolean()) throw new IOException(file + ": key 'stratified' must be true or false, got " + strat);
        try {
            return new DyDiTRecipe(TrainCheckpoint.num(r, "lambda", file), whole(r, "ramp_steps", file),
                    whole(r, "hold_steps", file), whole(r, "complete_steps", file), TrainCheckpoint.num(r, "tau", file),
                    TrainCheckpoint.num(r, "flops_weight", file), strat.asBoolean(), optimizer);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": invalid DyDiT recipe: " + e.getMessage(), e);
        }
    }

    private static long whole(JsonNode r, String key, Path file) throws IOException {
        JsonNode n = TrainCheckpoint.node(r, key, file);
        if (!n.canConvertToLong() || !n.isIntegralNumber()) throw new IOException(file + ": key '" + key + "' must be a whole number, got " + n);
        return n.asLong();
    }
}
