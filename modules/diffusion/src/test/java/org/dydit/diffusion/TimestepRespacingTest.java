package org.dydit.diffusion;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Respacing invariants (the exact 250-step and DDIM maps are checked against the golden fixtures). */
class TimestepRespacingTest {

    @Test
    void emptyKeepsEveryStep() {
        int[] all = TimestepRespacing.spaceTimesteps(1000, "");
        assertEquals(1000, all.length);
        for (int i = 0; i < all.length; i++) assertEquals(i, all[i]);
    }

    @Test
    void singleSectionSpansTheWholeRange() {
        for (int n : new int[] {2, 25, 100, 250, 999, 1000}) {
            int[] s = TimestepRespacing.spaceTimesteps(1000, Integer.toString(n));
            assertEquals(n, s.length, "count for " + n);
            assertEquals(0, s[0]);
            assertEquals(999, s[s.length - 1], "a fractional stride ends on the last step");
            assertIncreasing(s);
        }
    }

    @Test
    void commaListSplitsIntoSections() {
        // 1000 steps in 3 sections: 334, 333, 333 steps, starting at 0, 334, 667
        int[] s = TimestepRespacing.spaceTimesteps(1000, "10,15,20");
        assertEquals(45, s.length);
        assertIncreasing(s);
        int[] starts = {0, 334, 667};
        int[] ends = {333, 666, 999};
        int[] counts = {10, 15, 20};
        int at = 0;
        for (int sec = 0; sec < 3; sec++) {
            assertEquals(starts[sec], s[at], "section " + sec + " starts at its first step");
            at += counts[sec];
            assertEquals(ends[sec], s[at - 1], "section " + sec + " ends at its last step");
        }
    }

    @Test
    void ddimUsesTheSmallestIntegerStride() {
        for (int n : new int[] {10, 25, 50, 100}) {
            int[] s = TimestepRespacing.spaceTimesteps(1000, "ddim" + n);
            assertEquals(n, s.length);
            int stride = s[1] - s[0];
            for (int i = 0; i < s.length; i++) assertEquals(i * stride, s[i]);
            assertTrue((1000 + stride - 2) / (stride - 1) != n, "no smaller stride gives " + n + " steps");
        }
        assertThrows(IllegalArgumentException.class, () -> TimestepRespacing.spaceTimesteps(1000, "ddim999"));
    }

    @Test
    void badSpecsNameTheProblem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimestepRespacing.spaceTimesteps(1000, "25o"));
        assertTrue(e.getMessage().contains("25o"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TimestepRespacing.spaceTimesteps(1000, "1001"));
        assertThrows(IllegalArgumentException.class, () -> TimestepRespacing.spaceTimesteps(1000, "ddimx"));
        assertThrows(IllegalArgumentException.class, () -> GaussianDiffusion.create("1"));
    }

    @Test
    void respacedProcessKeepsTheCumulativeProducts() {
        GaussianDiffusion full = GaussianDiffusion.create("");
        for (String spec : new String[] {"250", "ddim50", "10,15,20"}) {
            GaussianDiffusion r = GaussianDiffusion.create(spec);
            int[] map = r.timestepMap();
            assertArrayEquals(TimestepRespacing.spaceTimesteps(1000, spec), map);
            double[] ac = r.alphasCumprod();
            double[] base = full.alphasCumprod();
            for (int k = 0; k < map.length; k++) {
                assertEquals(base[map[k]], ac[k], 1e-12 * base[map[k]], spec + " ᾱ at index " + k);
                assertEquals(map[k], r.originalTimestep(k));
            }
        }
    }

    private static void assertIncreasing(int[] s) {
        for (int i = 1; i < s.length; i++) assertTrue(s[i] > s[i - 1], "increasing at " + i);
    }
}
