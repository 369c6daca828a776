package org.dydit.train;

import org.dydit.model.DyDiTGraph;
import org.dydit.routing.DyDiTRouting;
import org.dydit.routing.FlopsLoss;
import org.dydit.routing.GumbelNoise;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.HybridLoss;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.model.DiTConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DyDiT's fine-tuning step on the hand-written engine (float32):
 * <ol>
 *   <li>draw t (stratified over 4 quarters when the recipe says so), ε, label dropout and the routers' Gumbel noise
 *   from the counter-based {@link TrainingRandom} (functions of seed, step and sample);</li>
 *   <li>dynamic forward (routers on, training decisions), hybrid diffusion loss, FLOPs loss
 *   {@code w·(mean_b r_b − λ_t)²} on the masks; backward with the straight-through estimator into the routers;</li>
 *   <li>stage 1 ({@code step < completeSteps}): the complete model (routers bypassed) on the same x_t, t, ε with
 *   its own label dropout draw, its diffusion loss added (gradients summed);</li>
 *   <li>clip-by-norm, AdamW, EMA.</li>
 * </ol>
 * A step depends only on (weights, moments, step, seed), as with DiT's {@code EngineTrainer}.
 */
public final class DyDiTTrainer implements AutoCloseable {

    /** What one step reports; {@code completeLoss} is NaN in stage 2. */
    public record StepResult(long step, double loss, double dynamicLoss, double completeLoss, double flopsLoss,
                             double flopsRatio, double target, double gradNorm) {}

    private final DiTConfig cfg;
    private final DyDiTRecipe recipe;
    private final TargetRatio target;
    private final AdamW adam;
    private final DiTParams params, grads, grads2, m, v, ema;
    private final DiTEngine engine;
    private final DyDiTRouting routing;
    private final FlopsLoss flops;
    private final GaussianDiffusion diffusion = GaussianDiffusion.create("");
    private final TrainingBatch data;
    private final TrainingRandom random;
    private long step;

    /** A trainer from DyDiT weights {@code weights} (copied; EMA starts as a copy). */
    public DyDiTTrainer(DiTParams weights, DyDiTRecipe recipe) {
        if (weights.dtype() != DataType.FLOAT) throw new IllegalArgumentException("training runs in float32");
        this.cfg = weights.config();
        DyDiTGraph.requireDynamic(cfg);
        this.recipe = recipe;
        this.target = recipe.target();
        var o = recipe.optimizer();
        this.adam = new AdamW(o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay());
        this.params = weights.like();
        params.copyFrom(weights);
        this.grads = weights.like();
        this.grads2 = weights.like();
        this.m = weights.like();
        this.v = weights.like();
        this.ema = weights.like();
        ema.copyFrom(weights);
        this.engine = new DiTEngine(params);
        this.routing = new DyDiTRouting(engine, recipe.tau());
        this.flops = new FlopsLoss(cfg, recipe.flopsWeight());
        this.random = new TrainingRandom(o.seed());
        this.data = new TrainingBatch(cfg, diffusion);
    }

    /** One step on clean latents {@code x0} (B*C*H*W, row-major) with labels (B, before dropout). */
    public StepResult step(float[] x0, int[] labels) {
        int b = data.begin(x0, labels);
        long s = step;
        int nt = diffusion.numTimesteps();
        int[] t = data.timesteps(), y = data.labels();
        for (int i = 0; i < b; i++) {
            int q = i % 4;
            t[i] = recipe.stratified() ? random.timestep(s, i, q * nt / 4, (q + 1) * nt / 4) : random.timestep(s, i, nt);
            y[i] = dropped(s, i, 0, labels[i]);
        }
        data.noise(x0, random, s);
        INDArray xIn = data.input();
        double[] tD = data.originalTimesteps();

        // dynamic pass
        double lambdaT = target.at(s);
        routing.attach();
        routing.setNoise(GumbelNoise.draw(random.generator(), cfg, s, 0, b));
        routing.setGradients(grads);
        INDArray out = engine.forward(xIn, tD, y);
        HybridLoss.Terms dyn = data.loss(x0, out);
        double[][][] masks = routing.maskArrays();
        FlopsLoss.Gradient fg = flops.newGradient(b);
        FlopsLoss.Value fv = flops.compute(masks[0], masks[1], masks[2], lambdaT, fg);
        routing.setExtraMaskGradients(fg.head(), fg.channel(), fg.token());
        engine.backward(data.outputGradient(), grads);
        double total = dyn.meanLoss() + fv.loss();

        // stage 1: the complete model on the same weights
        double complete = Double.NaN;
        if (s < recipe.completeSteps()) {
            routing.detach();
            for (int i = 0; i < b; i++) y[i] = dropped(s, i, 1, labels[i]);
            INDArray out2 = engine.forward(xIn, tD, y);
            HybridLoss.Terms c = data.loss(x0, out2);
            engine.backward(data.outputGradient(), grads2);
            grads.flat().addi(grads2.flat());
            complete = c.meanLoss();
            total += complete;
        }
        routing.detach();
        routing.setNoise(null);
        double norm = AdamW.clip(grads, recipe.optimizer().clipNorm());
        adam.update(params, grads, m, v, s + 1);
        AdamW.ema(ema, params, recipe.optimizer().emaDecay());
        step++;
        return new StepResult(s + 1, total, dyn.meanLoss(), complete, fv.loss(), fv.meanRatio(), lambdaT, norm);
    }

    private int dropped(long s, int i, int pass, int label) {
        return cfg.classDropoutProb() > 0 && random.dropLabel(s, i, pass, cfg.classDropoutProb()) ? cfg.numClasses() : label;
    }

    /**
     * The evaluation FLOPs ratio (mean r_b, routers deciding {@code logit > 0}) of the current weights on latents
     * {@code x} (B*C*H*W) at original timesteps {@code ts} with labels {@code labels}.
     */
    public double evalFlopsRatio(float[] x, double[] ts, int[] labels) {
        int b = labels.length;
        INDArray in = Nd4j.create(x, new long[]{b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()}, 'c');
        routing.attach();
        routing.setNoise(null);
        engine.forward(in, ts, labels);
        double[][][] masks = routing.maskArrays();
        routing.detach();
        double[] r = flops.ratios(masks[0], masks[1], masks[2]);
        double mean = 0;
        for (double v : r) mean += v / r.length;
        return mean;
    }

    public DiTConfig config() { return cfg; }
    public DyDiTRecipe recipe() { return recipe; }
    public DiTParams params() { return params; }
    public DiTParams ema() { return ema; }
    public long step() { return step; }

    @Override
    public void close() {
        routing.close();
        engine.close();
        data.close();
    }
}
