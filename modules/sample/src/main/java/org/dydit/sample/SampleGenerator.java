package org.dydit.sample;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.dynamic.ForwardStats;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.ClassifierFreeGuidance;
import org.dydit.diffusion.CounterRandom;
import org.dydit.diffusion.DdimSampler;
import org.dydit.diffusion.DenoiseModel;
import org.dydit.diffusion.DiffusionSampler;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.NoiseSource;
import org.dydit.formats.DType;
import org.dydit.formats.AtomicFile;
import org.dydit.formats.NpzWriter;
import org.dydit.model.DiTConfig;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Class-conditional sampling on the {@link DynamicEngine} into ADM-style outputs: one PNG per sample
 * ({@code %06d.png}, named by the sample's global index) and {@code samples.npz} with {@code arr_0}, uint8, NHWC
 * RGB, quantised as the reference does: {@code clamp(127.5 x + 128, 0, 255)} then truncated.
 *
 * <p>Sample i's starting noise and step noise come from (seed, i) only ({@link NoiseSource}) and its label is
 * a function of (seed, i) unless labels are given, so a sample is the same whatever the batch size or the split
 * of the index range. Pixel-space models only (1 or 3 input channels): a 1-channel model's PNGs are greyscale and
 * its {@code arr_0} repeats the grey value in R, G and B (the evaluator's Inception network takes RGB; this is
 * what reading the greyscale PNG as RGB gives). Latent models need a VAE decoder, which is not here yet.
 */
public final class SampleGenerator {
    /** The label stream's domain in the counter generator ("LABEL"). */
    static final long LABEL_DOMAIN = 0x4C4142454CL;

    public enum Sampler { DDPM, DDIM }

    /**
     * @param steps     respaced steps (DDPM: "N"; DDIM: "ddimN")
     * @param cfgScale  guidance scale; used when > 1 (one batch of 2n per step)
     * @param labels    null (labels drawn from (seed, i)), one label for all, or one per sample
     */
    public record Settings(int n, int steps, double cfgScale, long seed, int batch, Sampler sampler, double eta,
                           int[] labels) {
        public Settings {
            if (n < 1) throw new IllegalArgumentException("number of samples must be positive, got " + n);
            if (steps < 2) throw new IllegalArgumentException("steps must be at least 2, got " + steps);
            if (batch < 1) throw new IllegalArgumentException("batch must be positive, got " + batch);
            if (!Double.isFinite(cfgScale)) throw new IllegalArgumentException("guidance scale must be finite");
            if (labels != null && labels.length != 1 && labels.length != n) {
                throw new IllegalArgumentException("give one label or one per sample (" + n + "), got " + labels.length);
            }
        }

        String respacing() {
            return sampler == Sampler.DDIM ? "ddim" + steps : Integer.toString(steps);
        }
    }

    /** What a run produced. */
    public record Result(int samples, Path npz, double seconds, double meanFlopsRatio) {}

    private SampleGenerator() {}

    /**
     * The most samples one forward batch of {@code c} may hold: its largest array per sample (MLP hidden or qkv rows,
     * attention scores, the model output), doubled under guidance, must stay below 2^31 bytes, the most one engine
     * buffer addresses.
     */
    public static int maxBatch(DiTConfig c, double cfgScale) {
        long t = c.tokens();
        long perSample = Math.max(Math.max(t * Math.max(c.mlpHidden(), 3L * c.hiddenSize()), (long) c.numHeads() * t * t),
                (long) c.outChannels() * c.inputSize() * c.inputSize());
        long floats = (Integer.MAX_VALUE / Float.BYTES) / (cfgScale > 1 ? 2 : 1);
        return (int) Math.min(Integer.MAX_VALUE, floats / perSample);
    }

    /** The class label of sample i under {@code seed}: uniform over the classes, a function of (seed, i) only. */
    public static int label(long seed, long i, int numClasses) {
        return new CounterRandom(seed).uniformInt(LABEL_DOMAIN, i, 0, 0, numClasses);
    }

    /**
     * Draws samples {@code from .. to-1} into {@code outDir} (PNGs; {@code samples.npz} holds exactly those, in
     * index order). The npz appears only when complete (temp name, then rename); each PNG likewise.
     */
    public static Result run(DynamicEngine engine, Settings s, int from, int to, Path outDir, Consumer<String> log)
            throws IOException {
        DiTConfig cfg = engine.config();
        int ch = cfg.inChannels();
        if (ch != 1 && ch != 3) {
            throw new IllegalArgumentException("the model has " + ch + " input channels: only pixel-space models (1 or 3 "
                    + "channels) can be written as images; decoding latents needs a VAE, which is not supported yet");
        }
        if (from < 0 || to > s.n() || from >= to) {
            throw new IllegalArgumentException("sample range " + from + ".." + to + " is outside 0.." + s.n());
        }
        if (s.labels() != null) {
            for (int y : s.labels()) {
                if (y < 0 || y >= cfg.numClasses()) {
                    throw new IllegalArgumentException("label " + y + " is outside 0.." + (cfg.numClasses() - 1));
                }
            }
        }
        GaussianDiffusion diffusion = GaussianDiffusion.create(s.respacing());
        DiffusionSampler sampler = s.sampler() == Sampler.DDIM ? new DdimSampler(diffusion, s.eta()) : new AncestralSampler(diffusion);
        engine.prepare(diffusion.timestepMap());
        DenoiseModel guided = ClassifierFreeGuidance.ifEnabled(engine, s.cfgScale(), cfg.numClasses());
        int steps = diffusion.numTimesteps();
        int[] batchStart = {0};
        int[] step = {0};
        // a NaN or infinite output would be quantised to black pixels: stop at the first one and name its step
        DenoiseModel model = (x, shape, t, y) -> {
            float[] out = guided.apply(x, shape, t, y);
            step[0]++;
            for (int i = 0; i < out.length; i++) {
                if (!Float.isFinite(out[i])) {
                    long sample = batchStart[0] + i / (out.length / shape[0]);
                    throw new IllegalStateException("the model's output is " + out[i] + " at sampling step " + step[0]
                            + "/" + steps + " (timestep " + t[0] + ") of sample " + sample
                            + ": sampling stopped");
                }
            }
            return out;
        };
        NoiseSource noise = NoiseSource.seeded(s.seed());
        Files.createDirectories(outDir);
        int side = cfg.inputSize();
        long total = to - from;
        long t0 = System.nanoTime();
        double ratioSum = 0;
        long ratioCount = 0;
        Path npzPath = outDir.resolve("samples.npz");
        NpzWriter npz = NpzWriter.open(npzPath, false);
        boolean ok = false;
        try {
            try (OutputStream arr = npz.begin("arr_0", DType.U8, new long[]{total, side, side, 3})) {
                for (int i0 = from; i0 < to; i0 += s.batch()) {
                    int b = Math.min(s.batch(), to - i0);
                    batchStart[0] = i0;
                    step[0] = 0;
                    int[] y = new int[b];
                    for (int j = 0; j < b; j++) {
                        long i = i0 + j;
                        y[j] = s.labels() == null ? label(s.seed(), i, cfg.numClasses())
                                : s.labels()[s.labels().length == 1 ? 0 : (int) i];
                    }
                    long[] shape = {b, ch, side, side};
                    double[] stepRatio = {0};
                    int[] stepCount = {0};
                    float[] x = sampler.sample(model, shape, y, noise, i0, (done, all) -> {
                        ForwardStats st = engine.lastStats();
                        if (st != null) {
                            stepRatio[0] += st.flopsRatio();
                            stepCount[0]++;
                        }
                    });
                    ratioSum += stepRatio[0];
                    ratioCount += stepCount[0];
                    byte[] hwc = quantize(x, b, ch, side);
                    arr.write(hwc);
                    for (int j = 0; j < b; j++) writePng(outDir, i0 + j, hwc, j, ch, side);
                    double secs = (System.nanoTime() - t0) / 1e9;
                    long done = i0 + b - from;
                    log.accept(String.format("sampled %d/%d (%.2f s per sample)", done, total, secs / done));
                }
            }
            npz.close();
            ok = true;
        } finally {
            if (!ok) npz.abort();
        }
        return new Result((int) total, npzPath, (System.nanoTime() - t0) / 1e9, ratioCount == 0 ? 1 : ratioSum / ratioCount);
    }

    /** (b, C, H, W) in [-1, 1] -> (b, H, W, 3) uint8: clamp(127.5 x + 128, 0, 255) truncated; grey repeats. */
    static byte[] quantize(float[] x, int b, int ch, int side) {
        int plane = side * side;
        byte[] out = new byte[b * plane * 3];
        for (int n = 0; n < b; n++) {
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < 3; c++) {
                    float v = 127.5f * x[(n * ch + (ch == 1 ? 0 : c)) * plane + p] + 128f;
                    int q = (int) Math.min(255f, Math.max(0f, v));
                    out[(n * plane + p) * 3 + c] = (byte) q;
                }
            }
        }
        return out;
    }

    private static void writePng(Path dir, long index, byte[] hwc, int j, int ch, int side) throws IOException {
        int plane = side * side;
        BufferedImage img = new BufferedImage(side, side, ch == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int yy = 0; yy < side; yy++) {
            for (int xx = 0; xx < side; xx++) {
                int o = (j * plane + yy * side + xx) * 3;
                int r = hwc[o] & 0xFF, g = hwc[o + 1] & 0xFF, bl = hwc[o + 2] & 0xFF;
                if (ch == 1) img.getRaster().setSample(xx, yy, 0, r);
                else img.setRGB(xx, yy, (r << 16) | (g << 8) | bl);
            }
        }
        Path target = dir.resolve(String.format("%06d.png", index));
        AtomicFile.writeStream(target, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer for " + target);
        });
    }
}
