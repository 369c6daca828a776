package org.dydit.sample;

import org.dydit.model.DyDiTForward;
import org.dydit.model.DyDiTOutput;
import org.dydit.model.DyDiTTestModels;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Trajectory FLOPs on a tiny DyDiT with mixed decisions: one entry per sampling step at the respaced timesteps, the
 * per-step active heads and groups equal the reference graph's width masks at that timestep, and the whole-forward
 * ratio is consistent with the static count.
 */
class TrajectoryFlopsTest {

    @Test
    void perStepWidthsFollowTheReferenceRoutersAndTheRatioIsConsistent() throws Exception {
        DiTConfig cfg = DyDiTTestModels.tiny();
        DiTModel model = DiTModel.of(cfg, DyDiTTestModels.randomWeights(cfg, 11, 0.6), "test", "test");
        int steps = 10;
        Map<String, Object> r = TrajectoryFlops.run(model, steps, 2, 3, 1.5, null);

        @SuppressWarnings("unchecked") List<Integer> ts = (List<Integer>) r.get("timesteps");
        assertEquals(steps, ts.size(), "one forward per sampling step (guided: one batch of 2n)");
        for (int i = 1; i < ts.size(); i++) assertTrue(ts.get(i) < ts.get(i - 1), "timesteps descend: " + ts);
        assertEquals(999, ts.get(0));
        assertEquals(0, ts.get(ts.size() - 1));

        DyDiTForward ref = new DyDiTForward(model);
        @SuppressWarnings("unchecked") List<Map<String, Object>> layers = (List<Map<String, Object>>) r.get("per_layer");
        assertEquals(cfg.depth(), layers.size());
        boolean someOff = false;
        for (int s = 0; s < steps; s++) {
            INDArray x = Nd4j.zeros(DataType.FLOAT, 1, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
            DyDiTOutput o = ref.forward(x, Nd4j.createFromArray((float) ts.get(s)), Nd4j.createFromArray(0L));
            for (int l = 0; l < cfg.depth(); l++) {
                double wantHeads = o.attnMask().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(l), org.nd4j.linalg.indexing.NDArrayIndex.all()).sumNumber().doubleValue();
                double wantGroups = o.mlpMask().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(l), org.nd4j.linalg.indexing.NDArrayIndex.all()).sumNumber().doubleValue();
                assertEquals(wantHeads, ((double[]) layers.get(l).get("heads"))[s], 1e-9, "heads, layer " + l + ", step " + s);
                assertEquals(wantGroups, ((double[]) layers.get(l).get("groups"))[s], 1e-9, "groups, layer " + l + ", step " + s);
                someOff |= wantHeads < cfg.numHeads() || wantGroups < cfg.numHeads();
            }
        }
        assertTrue(someOff, "the test model should switch some heads or groups off");
        double keepMin = 1;
        for (Map<String, Object> l : layers) {
            double k = (double) l.get("token_keep_rate");
            assertTrue(k >= 0 && k <= 1, "keep rate " + k);
            keepMin = Math.min(keepMin, k);
        }
        assertTrue(keepMin < 1, "the test model should skip some tokens");
        double gmacs = (double) r.get("gmacs"), dyn = (double) r.get("gmacs_dynamic"), ratio = (double) r.get("flops_ratio");
        assertEquals(DiTFlops.of(cfg).totalGMacs(), gmacs, 1e-15);
        assertEquals(dyn / gmacs, ratio, 1e-9);
        assertTrue(ratio > 0 && ratio < 1, "ratio " + ratio);
    }
}
