package org.dydit.routing;

import org.dydit.model.DyDiTTestModels;
import org.dydit.model.DiTConfig;
import org.dydit.model.flops.DiTFlops;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The FLOPs ratio r_b against the itemised MAC counts of {@link DiTFlops} (attention with the active heads, MLP with
 * the active channels over the kept tokens), and the loss value {@code w (mean r − λ)²}.
 */
class FlopsLossTest {

    @Test
    void ratioIsTheBlockMacsOfTheActiveUnitsOverTheStaticOnes() {
        DiTConfig cfg = DyDiTTestModels.tiny();
        int b = 2, h = cfg.numHeads(), t = cfg.tokens(), depth = cfg.depth();
        double[][] head = new double[depth][b * h], chan = new double[depth][b * h], tok = new double[depth][b * t];
        for (double[] a : head) Arrays.fill(a, 1);
        for (double[] a : chan) Arrays.fill(a, 1);
        for (double[] a : tok) Arrays.fill(a, 1);
        FlopsLoss loss = new FlopsLoss(cfg, 2.0);
        FlopsLoss.Value all = loss.compute(head, chan, tok, 0.5, null);
        assertEquals(1.0, all.meanRatio(), 1e-15);
        assertEquals(2.0 * 0.25, all.loss(), 1e-15);

        // sample 1: block 0 keeps heads {0, 2}, groups {0}, 5 of the tokens; block 1 keeps heads {0}, all groups, no token
        head[0][h + 1] = 0;
        head[0][h + 3] = 0;
        for (int g = 1; g < h; g++) chan[0][h + g] = 0;
        for (int n = 5; n < t; n++) tok[0][t + n] = 0;
        for (int k = 1; k < h; k++) head[1][h + k] = 0;
        for (int n = 0; n < t; n++) tok[1][t + n] = 0;
        double[] r = loss.ratios(head, chan, tok);
        assertEquals(1.0, r[0], 1e-15);

        DiTFlops f = DiTFlops.of(cfg);
        int gs = cfg.mlpHidden() / h;
        double dyn = f.attentionMacs(t, 2) + f.mlpMacs(5, gs) + f.attentionMacs(t, 1) + f.mlpMacs(0, cfg.mlpHidden());
        double stat = depth * (f.attentionMacs(t) + f.mlpMacs(t));
        assertEquals(dyn / stat, r[1], 1e-12);
        FlopsLoss.Value v = loss.compute(head, chan, tok, 0.7, null);
        assertEquals(2.0 * Math.pow((1 + dyn / stat) / 2 - 0.7, 2), v.loss(), 1e-12);
    }
}
