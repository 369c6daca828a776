package org.dydit.train;

import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.HybridLoss;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.engine.Profile;
import org.dydit.model.DiTConfig;
import org.dydit.model.DyDiTGraph;
import org.dydit.routing.DyDiTRouting;
import org.dydit.routing.FlopsLoss;
import org.dydit.routing.GumbelNoise;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DyDiT's fine-tuning objective (spec §3.6-3.8) on the engine's dynamic forward:
 * <ol>
 *   <li>t (stratified over the 4 quarters of [0, 1000) when the recipe says so), ε, label dropout and the routers'
 *   Gumbel noise, drawn per sample;</li>
 *   <li>dynamic forward (training decisions {@code logit + g > 0}), hybrid diffusion loss, FLOPs loss
 *   {@code w·(mean_b r_b − λ_t)²} on the masks; the backward pass carries both into the routers through the
 *   straight-through estimator;</li>
 *   <li>stage 1 ({@code step < completeSteps}): the complete model (routers bypassed) on the same x_t, t, ε with its
 *   own label dropout draw; its diffusion loss is added and the gradients summed.</li>
 * </ol>
 * The second gradient store stage 1 needs exists only while stage 1 runs.
 */
public final class DyDiTObjective implements Objective {
    public static final String NAME = "dydit";
    /** Loss terms: the dynamic model's diffusion loss, the complete model's (stage 1 only), the FLOPs loss. */
    public static final String DYNAMIC = "dynamic_loss", COMPLETE = "complete_loss", FLOPS = "flops_loss";
    /** Reported with the terms: the training-decision FLOPs ratio mean_b r_b and the target λ_t of the step. */
    public static final String RATIO = "flops_ratio", TARGET = "target";

    private final DiTEngine engine;
    private final DiTConfig cfg;
    private final TrainingRandom random;
    private final DyDiTRecipe recipe;
    private final TargetRatio target;
    private final DyDiTRouting routing;
    private final FlopsLoss flops;
    private final GaussianDiffusion diffusion = GaussianDiffusion.create("");
    private final TrainingBatch data;
    private DiTParams completeGrads;

    public DyDiTObjective(DiTEngine engine, TrainingRandom random, DyDiTRecipe recipe) {
        this.cfg = engine.config();
        DyDiTGraph.requireDynamic(cfg);
        this.engine = engine;
        this.random = random;
        this.recipe = recipe;
        this.target = recipe.target();
        this.routing = new DyDiTRouting(engine, recipe.tau());
        this.flops = new FlopsLoss(cfg, recipe.flopsWeight());
        this.data = new TrainingBatch(cfg, diffusion);
    }

    public DyDiTRecipe dydit() {
        return recipe;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> recipe() {
        return recipe.toMap();
    }

    @Override
    public Loss lossAndGradient(long s, float[] x0, int[] labels, DiTParams grads) {
        int b = data.begin(x0, labels);
        Profile prof = engine.profile();
        prof.start();
        data.draw(x0, labels, random, s, recipe.stratified());
        int[] y = data.labels();
        INDArray xIn = data.input();
        double[] tD = data.originalTimesteps();

        // dynamic pass
        double lambdaT = target.at(s);
        routing.attach();
        routing.setNoise(GumbelNoise.draw(random.generator(), cfg, s, 0, b));
        routing.setGradients(grads);
        prof.lap(Profile.Phase.OTHER);
        INDArray out = engine.forward(xIn, tD, y);
        prof.start();
        HybridLoss.Terms dyn = data.loss(x0, out);
        double[][][] masks = routing.maskArrays();
        FlopsLoss.Gradient fg = flops.newGradient(b);
        FlopsLoss.Value fv = flops.compute(masks[0], masks[1], masks[2], lambdaT, fg);
        routing.setExtraMaskGradients(fg.head(), fg.channel(), fg.token());
        prof.lap(Profile.Phase.OTHER);
        engine.backward(data.outputGradient(), grads);
        double total = dyn.meanLoss() + fv.loss();
        LinkedHashMap<String, Double> named = new LinkedHashMap<>();
        named.put(DYNAMIC, dyn.meanLoss());

        // stage 1: the complete model on the same weights
        if (s < recipe.completeSteps()) {
            routing.detach();
            data.dropLabels(labels, random, s, 1);
            if (completeGrads == null) completeGrads = grads.like();
            INDArray out2 = engine.forward(xIn, tD, y);
            prof.start();
            HybridLoss.Terms c = data.loss(x0, out2);
            prof.lap(Profile.Phase.OTHER);
            engine.backward(data.outputGradient(), completeGrads);
            prof.start();
            grads.flat().addi(completeGrads.flat());
            prof.lap(Profile.Phase.OPTIMIZER);
            named.put(COMPLETE, c.meanLoss());
            total += c.meanLoss();
        } else {
            releaseCompleteGradients();
        }
        routing.detach();
        routing.setNoise(null);
        named.put(FLOPS, fv.loss());
        named.put(RATIO, fv.meanRatio());
        named.put(TARGET, lambdaT);
        return new Loss(total, named);
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
        in.close();
        double[] r = flops.ratios(masks[0], masks[1], masks[2]);
        double mean = 0;
        for (double v : r) mean += v / r.length;
        return mean;
    }

    private void releaseCompleteGradients() {
        if (completeGrads != null) completeGrads.flat().close();
        completeGrads = null;
    }

    @Override
    public void close() {
        releaseCompleteGradients();
        routing.close();
        data.close();
    }
}
