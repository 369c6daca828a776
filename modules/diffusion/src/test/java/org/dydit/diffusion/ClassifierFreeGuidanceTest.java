package org.dydit.diffusion;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClassifierFreeGuidanceTest {
    private static final int C = 4, H = 2, W = 2, NULL = 10;

    private static float[] model(float[] x, long[] s, int[] t, int[] y) {
        int per = C * H * W;
        float[] out = new float[2 * x.length];
        for (int b = 0; b < s[0]; b++) {
            for (int i = 0; i < 2 * per; i++) {
                out[2 * b * per + i] = (float) (x[b * per + i % per] * (1 + 0.1 * y[b]) + 0.01 * i + 0.001 * t[b]);
            }
        }
        return out;
    }

    @Test
    void guidesTheFirstThreeChannelsAndKeepsTheConditionalRest() {
        int n = 2, per = C * H * W;
        float[] x = new float[n * per];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(1.7 * i);
        long[] shape = {n, C, H, W};
        int[] t = {999, 999};
        int[] y = {3, 7};
        List<int[]> labelsSeen = new ArrayList<>();
        DenoiseModel recording = (xx, s, tt, yy) -> {
            labelsSeen.add(yy.clone());
            return model(xx, s, tt, yy);
        };
        double scale = 1.5;
        float[] guided = new ClassifierFreeGuidance(recording, scale, NULL).apply(x, shape, t, y);

        assertEquals(1, labelsSeen.size(), "one forward over [z; z]");
        assertArrayEquals(new int[] {3, 7, NULL, NULL}, labelsSeen.get(0));
        float[] cond = model(x, shape, t, y);
        float[] uncond = model(x, shape, t, new int[] {NULL, NULL});
        assertEquals(cond.length, guided.length);
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < 2 * C; c++) {
                for (int p = 0; p < H * W; p++) {
                    int i = (b * 2 * C + c) * H * W + p;
                    float expected = c < 3 ? (float) (uncond[i] + scale * (cond[i] - uncond[i])) : cond[i];
                    assertEquals(expected, guided[i], 1e-6, "sample " + b + " channel " + c);
                }
            }
        }
    }

    @Test
    void combineWritesTheGuidedChannelsToBothHalves() {
        long[] outShape = {2, 2 * C, H, W};
        int per = 2 * C * H * W;
        float[] out = new float[2 * per];
        for (int i = 0; i < out.length; i++) out[i] = i;
        float[] before = out.clone();
        ClassifierFreeGuidance.combine(out, outShape, 4.0, 3);
        for (int i = 0; i < per; i++) {
            if (i < 3 * H * W) {
                float g = (float) (before[per + i] + 4.0 * (before[i] - before[per + i]));
                assertEquals(g, out[i], 0);
                assertEquals(g, out[per + i], 0);
            } else {
                assertEquals(before[i], out[i], 0);
                assertEquals(before[per + i], out[per + i], 0);
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> ClassifierFreeGuidance.combine(new float[3 * per], new long[] {3, 2 * C, H, W}, 2.0, 3));
    }

    @Test
    void fewerOutputChannelsThanGuidedAreAllGuidedLikeTheReferenceSlice() {
        // A 1-channel model with learned sigma outputs 2 channels; model_out[:, :3] then covers both.
        long[] outShape = {2, 2, H, W};
        int per = 2 * H * W;
        float[] out = new float[2 * per];
        for (int i = 0; i < out.length; i++) out[i] = (i * 7 % 11) - 5;
        float[] before = out.clone();
        ClassifierFreeGuidance.combine(out, outShape, 1.5, 3);
        for (int i = 0; i < per; i++) {
            float g = (float) (before[per + i] + 1.5 * (before[i] - before[per + i]));
            assertEquals(g, out[i], 0);
            assertEquals(g, out[per + i], 0);
        }
    }

    @Test
    void guidanceIsUsedOnlyAboveScaleOne() {
        DenoiseModel m = ClassifierFreeGuidanceTest::model;
        assertSame(m, ClassifierFreeGuidance.ifEnabled(m, 1.0, NULL));
        assertEquals(ClassifierFreeGuidance.class, ClassifierFreeGuidance.ifEnabled(m, 1.5, NULL).getClass());
    }
}
