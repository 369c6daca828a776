package org.dydit.prep.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfTest {

    @Test
    void everyHalfRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.toFloat((short) h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f))));
                continue;
            }
            assertEquals(h, Half.fromFloat(f) & 0xFFFF, "half 0x" + Integer.toHexString(h));
        }
    }

    /** The encoder picks the nearer neighbour, and the even one on a tie (checked against exact doubles). */
    @Test
    void roundsToNearestEven() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) ((r.nextDouble() * 2 - 1) * Math.pow(2, r.nextInt(-26, 17)));
            short h = Half.fromFloat(x);
            double got = Half.toFloat(h);
            if (Double.isInfinite(got)) {
                assertTrue(Math.abs(x) >= 65520f, "overflow only at or above 65520: " + x);
                continue;
            }
            // Neighbours in magnitude; at zero the lower neighbour is zero itself.
            double up = Half.toFloat((short) (h + 1));
            double down = (h & 0x7FFF) == 0 ? got : Half.toFloat((short) (h - 1));
            double err = Math.abs(got - x);
            assertTrue(err <= Math.abs(up - x) && err <= Math.abs(down - x), "nearest for " + x);
            if (err == Math.abs(up - x) && up != got || err == Math.abs(down - x) && down != got) {
                assertEquals(0, h & 1, "ties go to even for " + x);
            }
        }
        // Exact ties at both ends of the normal range.
        assertEquals(Half.fromFloat(1f), Half.fromFloat(1f + 0x1p-11f), "1 + half an ulp rounds down to even");
        assertEquals((short) (Half.fromFloat(1f) + 2), Half.fromFloat(1f + 3 * 0x1p-11f), "1 + 1.5 ulp rounds up to even");
        assertEquals(0x7C00, Half.fromFloat(65520f) & 0xFFFF);
        assertEquals(0x7BFF, Half.fromFloat(65519f) & 0xFFFF);
    }
}
