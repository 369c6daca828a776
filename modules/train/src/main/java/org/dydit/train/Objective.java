package org.dydit.train;

import org.dydit.engine.DiTParams;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link Trainer} minimises: the loss of training step {@code s} on a batch and its gradient with respect to
 * every parameter. An objective draws everything random of a step (timesteps, ε, label dropout, Gumbel noise) from
 * the counter-based {@link org.dydit.diffusion.TrainingRandom} at (seed, s, sample), so a step is a function of
 * (weights, step, seed) and a run resumed from a checkpoint repeats the uninterrupted one bit for bit.
 *
 * <p>{@link DiTObjective}: DiT's hybrid diffusion loss. {@link DyDiTObjective}: DyDiT's dynamic loss, FLOPs loss
 * and, in stage 1, the complete model's loss.
 */
public interface Objective extends AutoCloseable {

    /** The loss of one step: the total the gradient belongs to, and its named terms in report order. */
    record Loss(double total, LinkedHashMap<String, Double> terms) {}

    /** The objective's name in checkpoints: {@value DiTObjective#NAME} or {@value DyDiTObjective#NAME}. */
    String name();

    /** The objective's own settings, as a checkpoint records them (empty for DiT). */
    Map<String, Object> recipe();

    /**
     * The loss of step {@code step} (0-based) on clean latents {@code x0} (B*C*H*W, row-major) with class labels
     * {@code labels} (B, before label dropout); d loss / d parameters is written into {@code grads} (overwritten).
     */
    Loss lossAndGradient(long step, float[] x0, int[] labels, DiTParams grads);

    @Override
    void close();
}
