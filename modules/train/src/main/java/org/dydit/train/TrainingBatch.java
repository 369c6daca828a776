package org.dydit.train;

import org.dydit.kernels.NdBuffer;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.HybridLoss;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.model.DiTConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * The batch of one diffusion training step on the engine, shared by DiT's and DyDiT's trainers: checks the clean
 * latents against the labels, keeps the buffers of the current batch size, noises the latents at the timesteps
 * the trainer drew (ε from the counter-based {@link TrainingRandom}, so a function of seed, step and sample), and
 * turns a model output into the hybrid loss with d loss / d output ready for the engine's backward.
 */
public final class TrainingBatch implements AutoCloseable {
    private final DiTConfig cfg;
    private final GaussianDiffusion diffusion;
    private final HybridLoss loss;
    private final int perSample;

    private int batch = -1;
    private float[] noise, xt, modelOut, grad;
    private int[] t, y;
    private double[] tD;
    private long[] shape;
    private INDArray xIn, dOut;

    public TrainingBatch(DiTConfig cfg, GaussianDiffusion diffusion) {
        this.cfg = cfg;
        this.diffusion = diffusion;
        this.loss = new HybridLoss(diffusion);
        this.perSample = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
    }

    /** Checks {@code x0} (B*C*H*W) against {@code labels} (B, before dropout) and sizes the buffers; returns B. */
    public int begin(float[] x0, int[] labels) {
        int b = labels.length;
        if (x0.length != (long) b * perSample) {
            throw new IllegalArgumentException("x0 has " + x0.length + " values; " + b + " labels need " + (long) b * perSample);
        }
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= cfg.numClasses()) {
                throw new IllegalArgumentException("label " + labels[i] + " of sample " + i + " is outside 0.." + (cfg.numClasses() - 1));
            }
        }
        ensure(b);
        return b;
    }

    /**
     * Step {@code s}'s draws, all counter-based (functions of seed, step and sample): the timestep of each sample,
     * uniform over [0, T) or, {@code stratified} (DyDiT's recipe), over the quarter {@code i mod 4} of it; the labels
     * after dropout (pass 0); ε; and x_t into the engine input.
     */
    public void draw(float[] x0, int[] labels, TrainingRandom random, long s, boolean stratified) {
        int nt = diffusion.numTimesteps();
        for (int i = 0; i < batch; i++) {
            int q = i % 4;
            t[i] = stratified ? random.timestep(s, i, q * nt / 4, (q + 1) * nt / 4) : random.timestep(s, i, nt);
        }
        dropLabels(labels, random, s, 0);
        noise(x0, random, s);
    }

    /** The labels the model sees in forward pass {@code pass} of step s: each dropped to the null class with the config's probability. */
    public void dropLabels(int[] labels, TrainingRandom random, long s, int pass) {
        double p = cfg.classDropoutProb();
        for (int i = 0; i < batch; i++) y[i] = p > 0 && random.dropLabel(s, i, pass, p) ? cfg.numClasses() : labels[i];
    }

    /** The respaced timestep indices, one per sample, of the last {@link #draw}. */
    public int[] timesteps() {
        return t;
    }

    /** The labels the model sees (after dropout) in the current pass. */
    public int[] labels() {
        return y;
    }

    /** ε of every sample for step {@code s}, x_t = q_sample(x0, t, ε) into the engine input. */
    private void noise(float[] x0, TrainingRandom random, long s) {
        for (int i = 0; i < batch; i++) {
            tD[i] = diffusion.originalTimestep(t[i]);
            random.noise(noise, i * perSample, perSample, s, i);
        }
        diffusion.qSample(x0, noise, t, shape, xt);
        floats(xIn).put(0, xt);
    }

    /** The engine input x_t (B, C, H, W). */
    public INDArray input() {
        return xIn;
    }

    /** The original timesteps of {@link #timesteps()}, as the engine takes them. */
    public double[] originalTimesteps() {
        return tD;
    }

    /** The hybrid loss of a model output (B, C', H, W); leaves d(mean loss)/d out in {@link #outputGradient()}. */
    public HybridLoss.Terms loss(float[] x0, INDArray out) {
        floats(out).get(0, modelOut);
        HybridLoss.Terms terms = loss.compute(x0, xt, noise, t, modelOut, shape, grad, 1.0 / batch);
        floats(dOut).put(0, grad);
        return terms;
    }

    public INDArray outputGradient() {
        return dOut;
    }

    private void ensure(int b) {
        if (b == batch) return;
        batch = b;
        shape = new long[]{b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
        noise = new float[b * perSample];
        xt = new float[b * perSample];
        modelOut = new float[cfg.outChannels() * b * cfg.inputSize() * cfg.inputSize()];
        grad = new float[modelOut.length];
        t = new int[b];
        tD = new double[b];
        y = new int[b];
        close();
        xIn = Nd4j.create(DataType.FLOAT, b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        dOut = Nd4j.create(DataType.FLOAT, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
    }

    private static FloatBuffer floats(INDArray a) {
        return NdBuffer.of(a).bytes().asFloatBuffer();
    }

    @Override
    public void close() {
        if (xIn != null) xIn.close();
        if (dOut != null) dOut.close();
        xIn = null;
        dOut = null;
    }
}
