package org.dydit.train;

import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.HybridLoss;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.engine.Profile;
import org.dydit.model.DiTConfig;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DiT's objective (spec §2.2): t ~ U{0..999}, ε ~ N(0, I) and label dropout drawn per sample, x_t = q_sample(x0, t, ε),
 * the hybrid loss {@code mse(ε̂, ε) + vb} of the model output, and its gradient by the engine's backward pass.
 */
public final class DiTObjective implements Objective {
    public static final String NAME = "dit";
    /** Loss terms: the mean over the batch of the ε MSE and of the variational bound term. */
    public static final String MSE = "mse", VB = "vb";

    private final DiTEngine engine;
    private final DiTConfig cfg;
    private final TrainingRandom random;
    private final GaussianDiffusion diffusion = GaussianDiffusion.create("");
    private final TrainingBatch data;

    public DiTObjective(DiTEngine engine, TrainingRandom random) {
        this.engine = engine;
        this.cfg = engine.config();
        this.random = random;
        this.data = new TrainingBatch(cfg, diffusion);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Object> recipe() {
        return Map.of();
    }

    @Override
    public Loss lossAndGradient(long s, float[] x0, int[] labels, DiTParams grads) {
        int b = data.begin(x0, labels);
        Profile prof = engine.profile();
        prof.start();
        data.draw(x0, labels, random, s, false);
        prof.lap(Profile.Phase.OTHER);
        INDArray out = engine.forward(data.input(), data.originalTimesteps(), data.labels());
        prof.start();
        HybridLoss.Terms terms = data.loss(x0, out);
        prof.lap(Profile.Phase.OTHER);
        engine.backward(data.outputGradient(), grads);
        double mse = 0, vb = 0;
        for (int i = 0; i < b; i++) {
            mse += terms.mse[i] / b;
            vb += terms.vb[i] / b;
        }
        LinkedHashMap<String, Double> named = new LinkedHashMap<>();
        named.put(MSE, mse);
        named.put(VB, vb);
        return new Loss(terms.meanLoss(), named);
    }

    @Override
    public void close() {
        data.close();
    }
}
