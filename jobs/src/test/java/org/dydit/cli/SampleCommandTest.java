package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.formats.Npz;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.dydit.prep.dataset.Issues;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordCodec;
import org.dydit.prep.dataset.RecordDType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code dydit sample} on a model {@code dydit train} trained (non-zero output): reproducible by seed whatever the
 * batch, shaped by the model (not the zero model's samples), the same through its DyDiT; {@code bench speedup}'s
 * errors.
 */
class SampleCommandTest {

    /**
     * A tiny pixel DiT that {@code dydit train} trained for 200 steps on three flat colours: its output is not zero,
     * unlike a fresh one's, and its samples show the colour of their class.
     */
    @TempDir
    static Path trained;
    static Path model;

    @BeforeAll
    static void train() throws Exception {
        Path data = colourDataset(trained.resolve("colours"), 48);
        Cli t = Cli.run("train", "--model", "tiny", "--data", data.toString(), "--steps", "200", "--batch", "8", "--lr", "3e-3",
                "--ema-decay", "0.5", "--log-every", "0", "--out", trained.resolve("run").toString());
        assertEquals(0, t.code(), t.toString());
        model = trained.resolve("run/model");
    }

    /** {@code n} records of [3, 8, 8]: class k a flat colour (channel k at 0.8, the others at -0.8) with a little noise. */
    static Path colourDataset(Path dir, int n) throws Exception {
        Files.createDirectories(dir);
        int[] shape = {3, 8, 8};
        RecordCodec codec = new RecordCodec(shape, RecordDType.FLOAT32);
        java.util.Random r = new java.util.Random(7);
        try (java.io.OutputStream o = Files.newOutputStream(dir.resolve("part-00000.bin"))) {
            for (int i = 0; i < n; i++) {
                float[] x = new float[3 * 64];
                for (int k = 0; k < x.length; k++) x[k] = (k / 64 == i % 3 ? 0.8f : -0.8f) + 0.05f * (float) r.nextGaussian();
                o.write(codec.encode(i % 3, x));
            }
        }
        Manifest m = new Manifest(shape, RecordDType.FLOAT32, n, List.of(new Manifest.Part("part-00000.bin", n)),
                List.of("red", "green", "blue"), Map.of("type", "pixel"), Map.of(), Map.of(), new Issues(), new Issues());
        Files.writeString(dir.resolve(Manifest.FILE_NAME), m.toJson());
        return dir;
    }

    private static float maxAbsOutput(Path modelDir) throws Exception {
        DiTModel m = DiTModel.load(modelDir);
        DiTConfig c = m.config();
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2, c.inChannels(), c.inputSize(), c.inputSize());
        INDArray out = m.forward(x, Nd4j.createFromArray(100f, 700f), Nd4j.createFromArray(0L, 2L));
        return out.amaxNumber().floatValue();
    }

    private static byte[] samples(Path modelDir, Path out, String seed, String batch, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("sample", "--model-dir", modelDir.toString(), "--n", "4", "--steps", "5",
                "--cfg", "1.5", "--seed", seed, "--batch", batch, "--out", out.toString()));
        args.addAll(List.of(more));
        Cli c = Cli.run(args.toArray(new String[0]));
        assertEquals(0, c.code(), c.toString());
        for (int i = 0; i < 4; i++) assertTrue(Files.isRegularFile(out.resolve(String.format("%06d.png", i))), out + ": PNG " + i);
        Tensor t = Npz.read(out.resolve("samples.npz")).get("arr_0");
        assertArrayEquals(new long[]{4, 8, 8, 3}, t.shape());
        return t.rawBytes();
    }

    private static int differing(byte[] a, byte[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) n++;
        return n;
    }

    @Test
    void samplesOfATrainedModelAreReproducibleBySeedAndShapedByTheModel(@TempDir Path tmp) throws Exception {
        assertTrue(maxAbsOutput(model) > 1e-2, "the trained model's output is not zero: " + maxAbsOutput(model));
        Path zero = tmp.resolve("zero");
        DiTModel.init(DiTModel.load(model).config(), 0).save(zero);
        assertEquals(0f, maxAbsOutput(zero), "a fresh model (adaLN-Zero, zero final layer) outputs zero");

        byte[] a = samples(model, tmp.resolve("a"), "9", "4");
        assertArrayEquals(a, samples(model, tmp.resolve("b"), "9", "3"), "same seed, another batch size: the same samples");
        int otherSeed = differing(a, samples(model, tmp.resolve("c"), "10", "4"));
        assertTrue(otherSeed > a.length / 4, otherSeed + " of " + a.length + " values differ with another seed");
        // the model's output shapes the samples: the zero model's, from the same noise, differ almost everywhere
        int fromZero = differing(a, samples(zero, tmp.resolve("z"), "9", "4"));
        assertTrue(fromZero > a.length / 4, fromZero + " of " + a.length + " values differ from the zero model's samples");
        samples(model, tmp.resolve("ddim"), "9", "2", "--sampler", "ddim");

        // it learned the data: a sample of class k is mostly colour k (channel k brightest)
        Cli c = Cli.run("sample", "--model-dir", model.toString(), "--n", "6", "--steps", "25", "--cfg", "1.5", "--seed", "4",
                "--labels", "0,1,2,0,1,2", "--out", tmp.resolve("classes").toString());
        assertEquals(0, c.code(), c.toString());
        byte[] cls = Npz.read(tmp.resolve("classes/samples.npz")).get("arr_0").rawBytes();
        for (int i = 0; i < 6; i++) {
            double[] mean = new double[3];
            for (int p = 0; p < 64; p++) for (int ch = 0; ch < 3; ch++) mean[ch] += (cls[(i * 64 + p) * 3 + ch] & 0xFF) / 64.0;
            int k = i % 3;
            assertTrue(mean[k] > mean[(k + 1) % 3] && mean[k] > mean[(k + 2) % 3],
                    "sample " + i + " of class " + k + ": channel means " + java.util.Arrays.toString(mean));
        }
    }

    @Test
    void dyditOfTheTrainedModelSamplesDynamicallyAsTheModel(@TempDir Path tmp) throws Exception {
        // routers all on: the DyDiT computes the DiT's function, up to float summation order
        Path dy = tmp.resolve("dydit");
        Cli c = Cli.run("convert", "--to-dydit", "--model-dir", model.toString(), "--out", dy.toString(), "--seed", "3");
        assertEquals(0, c.code(), c.toString());
        Cli a = Cli.run("sample", "--model-dir", dy.toString(), "--n", "4", "--steps", "5", "--cfg", "1.5", "--seed", "9",
                "--out", tmp.resolve("a").toString(), "--batch", "4");
        assertEquals(0, a.code(), a.toString());
        JsonNode j = new ObjectMapper().readTree(a.out());
        assertEquals(4, j.get("samples").asInt());
        assertEquals("dynamic", j.get("engine").asText());
        byte[] got = Npz.read(tmp.resolve("a/samples.npz")).get("arr_0").rawBytes();
        assertArrayEquals(got, samples(dy, tmp.resolve("b"), "9", "3", "--sampler", "ddpm"), "batch 4 vs batch 3");
        byte[] dit = samples(model, tmp.resolve("dit"), "9", "4");
        for (int i = 0; i < got.length; i++) {
            assertTrue(Math.abs((got[i] & 0xFF) - (dit[i] & 0xFF)) <= 1, "value " + i + ": DyDiT " + (got[i] & 0xFF) + ", DiT " + (dit[i] & 0xFF));
        }
    }

    @Test
    void badInputIsAClearError(@TempDir Path tmp) throws Exception {
        Cli a = Cli.run("sample", "--model-dir", tmp.resolve("none").toString(), "--n", "1", "--out", tmp.resolve("o").toString());
        assertEquals(1, a.code(), a.toString());
        assertTrue(a.err().contains("model folder"), a.toString());
        DiTModel.init(new DiTConfig(8, 2, 4, 32, 1, 4, 5, true, 0.1, 4.0, false), 1).save(tmp.resolve("latent"));
        Cli b = Cli.run("sample", "--model-dir", tmp.resolve("latent").toString(), "--n", "1", "--out", tmp.resolve("o").toString());
        assertEquals(1, b.code(), b.toString());
        assertTrue(b.err().contains("VAE"), b.toString());
        Cli c = Cli.run("sample", "--model-dir", tmp.resolve("latent").toString(), "--n", "1", "--out", tmp.resolve("o").toString(),
                "--sampler", "euler");
        assertEquals(Main.EXIT_USAGE, c.code(), c.toString());     // a bad command line
        assertTrue(c.err().contains("--sampler"), c.toString());
        Cli d = Cli.run("bench", "speedup", "--repeats", "0");
        assertEquals(1, d.code(), d.toString());
        assertTrue(d.err().contains("--repeats"), d.toString());
        Cli e = Cli.run("bench", "speedup", "--model-dir", tmp.resolve("latent").toString());
        assertEquals(1, e.code(), e.toString());
        assertTrue(e.err().contains("not a DyDiT"), e.toString());
    }
}
