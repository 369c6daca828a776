package org.dydit.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** λ_t as the reference's train.py computes it (spec §3.8). */
class TargetRatioTest {
    @Test
    void holdThenLinearRampThenLambda() {
        TargetRatio r = new TargetRatio(0.5, 1000, 100);
        assertEquals(1.0, r.at(0));
        assertEquals(1.0, r.at(99));
        assertEquals(1 - 0.5 * 100 / 1000.0, r.at(100), 1e-15);
        assertEquals(1 - 0.5 * 600 / 1000.0, r.at(600), 1e-15);
        assertEquals(0.5, r.at(1000), 1e-15);
        assertEquals(0.5, r.at(200000));
        // a ramp shorter than the hold: λ right after the hold
        assertEquals(0.7, new TargetRatio(0.7, 50, 100).at(100));
        assertThrows(IllegalArgumentException.class, () -> new TargetRatio(0, 10, 100));
    }
}
