package org.dydit.bench;

import org.dydit.model.DiTConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@code bench train --dydit} reports, on a tiny model: both steps, their ratio, stage 2, peak memory. */
class TrainBenchmarkTest {
    private static final DiTConfig TINY = new DiTConfig(8, 2, 4, 64, 2, 4, 10, true, 0.1, 4.0, false);

    @Test
    void theDyDiTStepIsTimedBesideTheDiTStep() throws Exception {
        Map<String, Object> r = TrainBenchmark.run(TINY, 2, TrainBenchmark.Engine.ENGINE, true, 1, 2, 0, s -> {});
        @SuppressWarnings("unchecked")
        Map<String, Object> d = (Map<String, Object>) r.get("dydit");
        assertEquals(2, d.get("stage"));
        assertEquals(2, ((double[]) d.get("step_s_all")).length);
        double dit = (double) r.get("step_s"), dy = (double) d.get("step_s");
        assertTrue(dit > 0 && dy > 0, r.toString());
        assertEquals(dy / dit, (double) r.get("dydit_step_over_dit"), 0.0015);
        @SuppressWarnings("unchecked")
        Map<String, Object> phases = (Map<String, Object>) d.get("phase_s_per_step");
        assertTrue((double) phases.get("routers") > 0, "the routers ran: " + phases);
        double flops = (double) d.get("flops_ratio_last");
        assertTrue(flops > 0 && flops < 1, "mixed decisions: FLOPs ratio " + flops);
        for (String k : List.of("peak_rss_gb", "peak_rss_gb_dit_part")) {
            assertTrue((double) r.get(k) > 0.05, k + " = " + r.get(k));
        }
        assertTrue((double) r.get("peak_rss_gb") >= (double) r.get("peak_rss_gb_dit_part"));
        assertTrue(r.containsKey("nd4j_offheap_peak_gb"));
    }

    @Test
    void theDyDiTStepNeedsTheEngineAndAPlainConfig() {
        assertThrows(IllegalArgumentException.class,
                () -> TrainBenchmark.run(TINY, 2, TrainBenchmark.Engine.SAMEDIFF, true, 1, 1, 0, s -> {}));
        assertThrows(IllegalArgumentException.class,
                () -> TrainBenchmark.run(TINY.withDynamic(true), 2, TrainBenchmark.Engine.ENGINE, true, 1, 1, 0, s -> {}));
    }
}
