package org.dydit.engine;

import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.HybridLoss;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.model.DiTConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * DiT's training step on the hand-written engine: draw t, ε and label dropout from the counter-based
 * {@link TrainingRandom} (a function of seed, step and sample), noise the latents, forward, hybrid loss and its
 * gradient, backward, gradient-norm clipping, AdamW, EMA. Everything a step depends on is (weights, moments,
 * step counter, seed), so a step is reproducible bit for bit on one machine and a checkpoint of those resumes
 * exactly. float32.
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
    private final HybridLoss loss = new HybridLoss(diffusion);
    private final TrainingRandom random;
    private long step;

    // per-batch-size buffers
    private int batch = -1;
    private float[] noise, xt, modelOut, grad;
    private int[] t, y;
    private double[] tD;
    private INDArray xIn, dOut;

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
    }

    /**
     * One step on clean latents {@code x0} (B*C*H*W, row-major) with class labels {@code labels} (B, without dropout).
     */
    public StepResult step(float[] x0, int[] labels) {
        int b = labels.length;
        int n = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        if (x0.length != (long) b * n) {
            throw new IllegalArgumentException("x0 has " + x0.length + " values; " + b + " labels need " + (long) b * n);
        }
        ensure(b);
        Profile prof = engine.profile();
        prof.start();
        long s = step;
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= cfg.numClasses()) {
                throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside 0.." + (cfg.numClasses() - 1));
            }
            t[i] = random.timestep(s, i, diffusion.numTimesteps());
            tD[i] = diffusion.originalTimestep(t[i]);
            random.noise(noise, i * n, n, s, i);
            boolean drop = cfg.classDropoutProb() > 0 && random.dropLabel(s, i, 0, cfg.classDropoutProb());
            y[i] = drop ? cfg.numClasses() : labels[i];
        }
        long[] shape = {b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
        diffusion.qSample(x0, noise, t, shape, xt);
        floats(xIn).put(0, xt);
        prof.lap(Profile.Phase.OTHER);
        INDArray out = engine.forward(xIn, tD, y);
        prof.start();
        floats(out).get(0, modelOut);
        HybridLoss.Terms terms = loss.compute(x0, xt, noise, t, modelOut, shape, grad, 1.0 / b);
        floats(dOut).put(0, grad);
        prof.lap(Profile.Phase.OTHER);
        engine.backward(dOut, grads);
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

    private void ensure(int b) {
        if (b == batch) return;
        int n = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        batch = b;
        noise = new float[b * n];
        xt = new float[b * n];
        modelOut = new float[2 * b * n];
        grad = new float[modelOut.length];
        t = new int[b];
        tD = new double[b];
        y = new int[b];
        if (xIn != null) xIn.close();
        if (dOut != null) dOut.close();
        xIn = Nd4j.create(DataType.FLOAT, b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        dOut = Nd4j.create(DataType.FLOAT, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
    }

    private static FloatBuffer floats(INDArray a) {
        return Buf.of(a).bytes().asFloatBuffer();
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
        if (xIn != null) xIn.close();
        if (dOut != null) dOut.close();
    }
}
