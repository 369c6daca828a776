package org.dydit.train;

import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.engine.Profile;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.HybridLoss;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.model.DiTConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DiT's training step on the hand-written engine: draw t, ε and label dropout from the counter-based
 * {@link TrainingRandom} (a function of seed, step and sample), noise the latents, forward, hybrid loss and its
 * gradient, backward, gradient-norm clipping, AdamW, EMA. Everything a step depends on is (weights, moments,
 * step counter, seed), so a step is reproducible bit for bit, also in another process (the kernels avoid the
 * Vector API functions whose bits change when the JIT compiles them, see {@link VecMath};
 * {@code CrossProcessDeterminismTest}), and a checkpoint of those resumes exactly. float32.
 */
public final class EngineTrainer implements AutoCloseable {

    /** Optimiser and schedule settings; {@code clipNorm <= 0} disables clipping. */
    public record Settings(double lr, double beta1, double beta2, double eps, double weightDecay, double clipNorm,
                           double emaDecay, long seed) {
        /** DiT's recipe: AdamW lr 1e-4, betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping, EMA 0.9999. */
        public static Settings dit(long seed) {
            return new Settings(1e-4, 0.9, 0.999, 1e-8, 0, 0, 0.9999, seed);
        }
    }

    /** What one step reports. */
    public record StepResult(long step, double loss, double mse, double vb, double gradNorm) {}

    private final DiTConfig cfg;
    private final Settings settings;
    private final AdamW adam;
    private final DiTParams params, grads, m, v, ema;
    private final DiTEngine engine;
    private final GaussianDiffusion diffusion = GaussianDiffusion.create("");
    private final TrainingBatch data;
    private final TrainingRandom random;
    private long step;

    /** A trainer starting from {@code weights} (values copied; EMA initialised as a copy, as DiT does). */
    public EngineTrainer(DiTParams weights, Settings settings) {
        if (weights.dtype() != DataType.FLOAT) throw new IllegalArgumentException("training runs in float32");
        this.cfg = weights.config();
        this.settings = settings;
        this.adam = new AdamW(settings.lr(), settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay());
        this.params = weights.like();
        this.params.copyFrom(weights);
        this.grads = weights.like();
        this.m = weights.like();
        this.v = weights.like();
        this.ema = weights.like();
        this.ema.copyFrom(weights);
        this.engine = new DiTEngine(params);
        this.random = new TrainingRandom(settings.seed());
        this.data = new TrainingBatch(cfg, diffusion);
    }

    /**
     * One step on clean latents {@code x0} (B*C*H*W, row-major) with class labels {@code labels} (B, without dropout).
     */
    public StepResult step(float[] x0, int[] labels) {
        int b = data.begin(x0, labels);
        Profile prof = engine.profile();
        prof.start();
        long s = step;
        int[] t = data.timesteps(), y = data.labels();
        for (int i = 0; i < b; i++) {
            t[i] = random.timestep(s, i, diffusion.numTimesteps());
            boolean drop = cfg.classDropoutProb() > 0 && random.dropLabel(s, i, 0, cfg.classDropoutProb());
            y[i] = drop ? cfg.numClasses() : labels[i];
        }
        data.noise(x0, random, s);
        prof.lap(Profile.Phase.OTHER);
        INDArray out = engine.forward(data.input(), data.originalTimesteps(), y);
        prof.start();
        HybridLoss.Terms terms = data.loss(x0, out);
        prof.lap(Profile.Phase.OTHER);
        engine.backward(data.outputGradient(), grads);
        prof.start();
        double norm = AdamW.clip(grads, settings.clipNorm());
        adam.update(params, grads, m, v, s + 1);
        AdamW.ema(ema, params, settings.emaDecay());
        prof.lap(Profile.Phase.OPTIMIZER);
        step++;
        double mse = 0, vb = 0;
        for (int i = 0; i < b; i++) {
            mse += terms.mse[i] / b;
            vb += terms.vb[i] / b;
        }
        return new StepResult(s + 1, terms.meanLoss(), mse, vb, norm);
    }

    public DiTConfig config() { return cfg; }
    public Settings settings() { return settings; }
    public DiTParams params() { return params; }
    public DiTParams ema() { return ema; }
    public DiTParams adamM() { return m; }
    public DiTParams adamV() { return v; }
    public DiTEngine engine() { return engine; }
    public long step() { return step; }

    /** Restores the step counter (checkpoint loading); moments and weights are restored through their stores. */
    void setStep(long s) {
        if (s < 0) throw new IllegalArgumentException("negative step " + s);
        this.step = s;
    }

    @Override
    public void close() {
        engine.close();
        data.close();
    }
}
