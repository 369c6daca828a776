package org.dydit.train;

import org.dydit.diffusion.TrainingRandom;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.engine.Profile;
import org.dydit.model.DiTConfig;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.LinkedHashMap;
import java.util.function.BiFunction;

/**
 * The training state and step, whatever the objective: parameters, gradients, Adam moments and EMA (one flat store
 * each, {@link DiTParams}), the step counter and the seed of the counter-based {@link TrainingRandom}. A step asks
 * the {@link Objective} for the loss and gradient, then clips the gradient by its global norm, applies AdamW and
 * updates the EMA. A step depends only on (weights, moments, step, seed), so it is reproducible bit for bit, also
 * in another process, and a {@link TrainCheckpoint} of that state resumes exactly. float32.
 */
public final class Trainer implements AutoCloseable {

    /** What one step reports: its 1-based number, the objective's loss and terms, the gradient norm before clipping. */
    public record StepResult(long step, double loss, double gradNorm, LinkedHashMap<String, Double> terms) {
        /** The loss term {@code name}; an absent term is an error naming the ones present. */
        public double term(String name) {
            Double v = terms.get(name);
            if (v == null) throw new IllegalArgumentException("step " + step + " has no loss term '" + name + "'; it has " + terms.keySet());
            return v;
        }
    }

    private final DiTConfig cfg;
    private final TrainerSettings settings;
    private final AdamW adam;
    private final DiTParams params, grads, m, v, ema;
    private final DiTEngine engine;
    private final TrainingRandom random;
    private final Objective objective;
    private long step;

    /**
     * A trainer whose parameters ARE {@code weights} (taken over, not copied: the store is updated in place and
     * freed by {@link #close}); the EMA starts as a copy, as DiT and DyDiT do.
     */
    private Trainer(DiTParams weights, TrainerSettings settings, BiFunction<DiTEngine, TrainingRandom, Objective> objective) {
        if (weights.dtype() != DataType.FLOAT) throw new IllegalArgumentException("training runs in float32");
        this.cfg = weights.config();
        this.settings = settings;
        this.adam = new AdamW(settings.lr(), settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay());
        this.params = weights;
        this.grads = weights.like();
        this.m = weights.like();
        this.v = weights.like();
        this.ema = weights.like();
        ema.copyFrom(params);
        this.engine = new DiTEngine(params);
        this.random = new TrainingRandom(settings.seed());
        this.objective = objective.apply(engine, random);
    }

    /** DiT training of {@code weights} (taken over as the parameters). */
    public static Trainer dit(DiTParams weights, TrainerSettings settings) {
        return new Trainer(weights, settings, DiTObjective::new);
    }

    /** DyDiT fine-tuning of the DyDiT weights {@code weights} (taken over as the parameters). */
    public static Trainer dydit(DiTParams weights, DyDiTRecipe recipe) {
        return new Trainer(weights, recipe.optimizer(), (e, r) -> new DyDiTObjective(e, r, recipe));
    }

    /** One step on clean latents {@code x0} (B*C*H*W, row-major) with class labels {@code labels} (B, before dropout). */
    public StepResult step(float[] x0, int[] labels) {
        long s = step;
        Objective.Loss loss = objective.lossAndGradient(s, x0, labels, grads);
        Profile prof = engine.profile();
        prof.start();
        double norm = AdamW.clip(grads, settings.clipNorm());
        adam.update(params, grads, m, v, s + 1);
        AdamW.ema(ema, params, settings.emaDecay());
        prof.lap(Profile.Phase.OPTIMIZER);
        step++;
        return new StepResult(s + 1, loss.total(), norm, loss.terms());
    }

    public DiTConfig config() { return cfg; }
    public TrainerSettings settings() { return settings; }
    public Objective objective() { return objective; }
    public DiTParams params() { return params; }
    public DiTParams ema() { return ema; }
    public DiTParams adamM() { return m; }
    public DiTParams adamV() { return v; }
    public DiTEngine engine() { return engine; }
    /** Steps taken: the next step's 0-based number, which is also the position of the counter-based random draws. */
    public long step() { return step; }

    /** Restores the step counter (checkpoint loading); weights, moments and EMA are restored through their stores. */
    void setStep(long s) {
        if (s < 0) throw new IllegalArgumentException("negative step " + s);
        this.step = s;
    }

    /** Frees the engine's buffers and the off-heap stores (parameters included). */
    @Override
    public void close() {
        objective.close();
        engine.close();
        for (DiTParams p : new DiTParams[]{grads, m, v, ema, params}) p.flat().close();
    }
}
