package org.dydit.sample;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.dynamic.MarginModels;
import org.dydit.formats.DType;
import org.dydit.formats.Npz;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sampling to PNG + samples.npz: the same samples whatever the batch size or the split of the index range, ADM
 * quantisation and layout, greyscale models, labels as a function of (seed, i).
 */
class SampleGeneratorTest {
    @TempDir
    Path tmp;

    static byte[] arr0(Path dir) throws Exception {
        Map<String, Tensor> m = Npz.read(dir.resolve("samples.npz"));
        Tensor t = m.get("arr_0");
        assertEquals(DType.U8, t.dtype());
        return t.rawBytes();
    }

    static long[] arr0Shape(Path dir) throws Exception {
        return Npz.read(dir.resolve("samples.npz")).get("arr_0").shape();
    }

    byte[] run(DiTModel model, SampleGenerator.Settings s, int[][] ranges, String name) throws Exception {
        Path dir = tmp.resolve(name);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC)) {
            for (int[] r : ranges) {
                Path part = dir.resolve("part" + r[0]);
                SampleGenerator.run(e, s, r[0], r[1], part, line -> { });
                all.write(arr0(part));
                for (int i = r[0]; i < r[1]; i++) {
                    Files.copy(part.resolve(String.format("%06d.png", i)), dir.resolve(String.format("%06d.png", i)));
                }
            }
        }
        return all.toByteArray();
    }

    @Test
    void sameSamplesWhateverBatchOrSplit() throws Exception {
        DiTConfig cfg = MarginModels.config(8, 2, 3, 32, 4, 2, true);
        DiTModel model = MarginModels.model(cfg, 21);
        for (SampleGenerator.Sampler kind : SampleGenerator.Sampler.values()) {
            SampleGenerator.Settings one = new SampleGenerator.Settings(5, 8, 1.5, 42, 5, kind, 0.0, null);
            SampleGenerator.Settings two = new SampleGenerator.Settings(5, 8, 1.5, 42, 2, kind, 0.0, null);
            SampleGenerator.Settings three = new SampleGenerator.Settings(5, 8, 1.5, 42, 3, kind, 0.0, null);
            byte[] a = run(model, one, new int[][]{{0, 5}}, kind + "-a");
            byte[] b = run(model, two, new int[][]{{0, 5}}, kind + "-b");
            byte[] c = run(model, three, new int[][]{{0, 3}, {3, 5}}, kind + "-c");
            assertEquals(5 * 8 * 8 * 3, a.length);
            assertArrayEquals(a, b, kind + ": batch 5 vs batch 2");
            assertArrayEquals(a, c, kind + ": one range vs two");
            for (int i = 0; i < 5; i++) {
                String png = String.format("%06d.png", i);
                assertArrayEquals(pixels(tmp.resolve(kind + "-a/part0").resolve(png)), pixels(tmp.resolve(kind + "-c").resolve(png)), png);
            }
            // the PNGs hold exactly arr_0
            byte[] first = Arrays.copyOfRange(a, 0, 8 * 8 * 3);
            assertArrayEquals(first, pixels(tmp.resolve(kind + "-a/part0/000000.png")));
            // a different seed gives different samples (the noise is really used)
            byte[] other = run(model, new SampleGenerator.Settings(5, 8, 1.5, 43, 5, kind, 0.0, null), new int[][]{{0, 5}}, kind + "-d");
            assertFalse(Arrays.equals(a, other));
        }
        assertFalse(Files.list(tmp.resolve("DDPM-a/part0")).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
    }

    @Test
    void greyscaleModelsWriteGreyPngsAndRgbArrays() throws Exception {
        DiTConfig cfg = MarginModels.config(8, 2, 1, 32, 4, 2, false);
        DiTModel model = MarginModels.model(cfg, 3);
        Path dir = tmp.resolve("grey");
        try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
            SampleGenerator.run(e, new SampleGenerator.Settings(3, 4, 1.0, 1, 2, SampleGenerator.Sampler.DDPM, 0, new int[]{7}),
                    0, 3, dir, line -> { });
        }
        assertArrayEquals(new long[]{3, 8, 8, 3}, arr0Shape(dir));
        byte[] a = arr0(dir);
        for (int p = 0; p < a.length; p += 3) {
            assertEquals(a[p], a[p + 1]);
            assertEquals(a[p], a[p + 2]);
        }
        BufferedImage img = ImageIO.read(dir.resolve("000002.png").toFile());
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, img.getType());
        assertEquals(a[2 * 64 * 3 + 3 * 5] & 0xFF, img.getRaster().getSample(5, 0, 0));
    }

    @Test
    void quantisationFollowsTheReference() {
        // clamp(127.5 x + 128, 0, 255) then truncation: -1 -> 0.5 -> 0, 0 -> 128, 0.99 -> 254.225 -> 254, 1 -> 255
        float[] x = {-1f, 0f, 0.99f, 1f, -3f, 7f, -0.004f, 0.5f};
        byte[] r = SampleGenerator.quantize(x, 2, 1, 2);
        int[] want = {0, 128, 254, 255, 0, 255, 127, 191};
        for (int i = 0; i < 8; i++) assertEquals(want[i], r[i * 3] & 0xFF, "value " + x[i]);
    }

    @Test
    void labelsDependOnSeedAndIndexOnly() {
        int[] seen = new int[10];
        for (int i = 0; i < 2000; i++) {
            int y = SampleGenerator.label(5, i, 10);
            assertEquals(y, SampleGenerator.label(5, i, 10));
            seen[y]++;
        }
        for (int c : seen) assertTrue(c > 120, "every class drawn: " + Arrays.toString(seen));
        int same = 0;
        for (int i = 0; i < 200; i++) if (SampleGenerator.label(5, i, 10) == SampleGenerator.label(6, i, 10)) same++;
        assertTrue(same < 60, "another seed gives other labels");
    }

    @Test
    void latentModelsAndBadLabelsAreRefused() throws Exception {
        DiTModel latent = MarginModels.model(MarginModels.config(8, 2, 4, 32, 4, 1, false), 1);
        try (DynamicEngine e = new DynamicEngine(latent, DynamicEngine.Mode.STATIC)) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SampleGenerator.run(e,
                    new SampleGenerator.Settings(1, 4, 1, 0, 1, SampleGenerator.Sampler.DDPM, 0, null), 0, 1, tmp.resolve("l"), s -> { }));
            assertTrue(ex.getMessage().contains("4 input channels"), ex.getMessage());
        }
        DiTModel pixel = MarginModels.model(MarginModels.config(8, 2, 3, 32, 4, 1, false), 1);
        try (DynamicEngine e = new DynamicEngine(pixel, DynamicEngine.Mode.STATIC)) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> SampleGenerator.run(e,
                    new SampleGenerator.Settings(1, 4, 1, 0, 1, SampleGenerator.Sampler.DDPM, 0, new int[]{10}), 0, 1, tmp.resolve("p"), s -> { }));
            assertTrue(ex.getMessage().contains("label 10"), ex.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("p/samples.npz")));
    }

    @Test
    void aNonFiniteOutputStopsSamplingNamingTheStep() throws Exception {
        DiTConfig cfg = MarginModels.config(8, 2, 3, 32, 4, 1, false);
        java.util.LinkedHashMap<String, Tensor> w = new java.util.LinkedHashMap<>(MarginModels.model(cfg, 1).weights());
        // finite weights whose product with any normalised activation above 1 overflows to infinity
        String key = org.dydit.model.DiTKeys.FINAL_LINEAR + ".weight";
        float[] huge = new float[(int) w.get(key).numel()];
        Arrays.fill(huge, Float.MAX_VALUE);
        w.put(key, Tensor.ofFloats(w.get(key).shape(), huge));
        DiTModel model = DiTModel.of(cfg, w, "test weights", "test config");
        for (double cfgScale : new double[]{1, 1.5}) {
            try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
                IllegalStateException ex = assertThrows(IllegalStateException.class, () -> SampleGenerator.run(e,
                        new SampleGenerator.Settings(2, 10, cfgScale, 0, 2, SampleGenerator.Sampler.DDPM, 0, null), 0, 2,
                        tmp.resolve("nan" + cfgScale), s -> { }));
                assertTrue(ex.getMessage().contains("at sampling step 1/10 (timestep 999)"), ex.getMessage());
            }
            assertFalse(Files.exists(tmp.resolve("nan" + cfgScale + "/samples.npz")));
            assertFalse(Files.exists(tmp.resolve("nan" + cfgScale + "/000000.png")));
        }
    }

    static byte[] pixels(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int o = (y * w + x) * 3;
                out[o] = (byte) (rgb >> 16);
                out[o + 1] = (byte) (rgb >> 8);
                out[o + 2] = (byte) rgb;
            }
        }
        return out;
    }
}
