package org.dydit.prep.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.TestSpark;
import org.dydit.prep.dataset.LabeledTensor;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.encode.PixelEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images job on a PNG of known colours: stored channel 0 is red, 1 green, 2 blue (the (C, H, W) layout the
 * VAE and DiT read), rows run top to bottom, columns left to right (the mirror right to left), and a level v is
 * stored as v/127.5 − 1 (0 → −1, 255 → 1).
 */
class ImageChannelOrderTest {
    /** Six regions of 16×24 pixels: top row red, green, blue; bottom row black, white, (64, 128, 192). */
    private static final int[][] COLOURS = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {0, 0, 0}, {255, 255, 255}, {64, 128, 192}};
    private static final int SIDE = 48, SIZE = 24;

    @TempDir
    Path tmp;

    @Test
    void channelsAreRedGreenBlueInMinusOneToOne() throws Exception {
        // 48x48 (one BOX halving to the 24x24 crop; the regions are aligned to it, so their colours stay pure)
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int[] c = COLOURS[region(x, y, SIDE)];
                img.setRGB(x, y, (c[0] << 16) | (c[1] << 8) | c[2]);
            }
        }
        Path folder = Files.createDirectories(tmp.resolve("in/colours"));
        ImageIO.write(img, "png", folder.resolve("regions.png").toFile());

        JavaSparkContext sc = TestSpark.sc();
        Path out = tmp.resolve("ds");
        ImageFolderJob.Options o = ImageFolderJobTest.options(tmp.resolve("in"), out.toString(), "both", 1, 0);
        o.size = SIZE;
        o.encoder = new PixelEncoder();
        Manifest m = ImageFolderJob.run(sc, o, System.err);
        assertArrayEquals(new int[] {3, SIZE, SIZE}, m.shape);
        List<LabeledTensor> recs = LatentDataset.open(sc, out.toString()).records(sc).collect();
        assertEquals(2, recs.size(), "the image and its mirror");

        int plane = SIZE * SIZE, checked = 0;
        for (int mirror = 0; mirror < 2; mirror++) {
            float[] v = recs.get(mirror).tensor();
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    int sx = mirror == 1 ? SIZE - 1 - x : x;   // the mirror's column x shows the image's column SIZE-1-x
                    int[] want = COLOURS[region(sx, y, SIZE)];
                    for (int c = 0; c < 3; c++) {
                        float expected = (float) (want[c] / 127.5 - 1.0);
                        assertEquals(expected, v[c * plane + y * SIZE + x], 0f, (mirror == 1 ? "mirror " : "image ")
                                + "channel " + c + " at (row " + y + ", col " + x + ") of colour " + java.util.Arrays.toString(want));
                        checked++;
                    }
                }
            }
        }
        assertEquals(2 * 3 * plane, checked);
        // the end points and a middle value, spelled out
        float[] first = recs.get(0).tensor();
        assertEquals(1f, first[0], 0f, "red's channel 0 at the top left");
        assertEquals(-1f, first[plane], 0f, "red's channel 1");
        assertEquals(-1f, first[2 * plane], 0f, "red's channel 2");
        int lastPixel = plane - 1;   // bottom right: (64, 128, 192)
        assertEquals(64 / 127.5f - 1f, first[lastPixel], 1e-7f);
        assertEquals(128 / 127.5f - 1f, first[plane + lastPixel], 1e-7f);
        assertEquals(192 / 127.5f - 1f, first[2 * plane + lastPixel], 1e-7f);
    }

    /** Which of the six regions pixel (x, y) of a side×side image lies in. */
    private static int region(int x, int y, int side) {
        return (y < side / 2 ? 0 : 3) + Math.min(2, x * 3 / side);
    }
}
