package org.dydit.model.flops;

import org.dydit.model.DiTConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiTFlopsTest {

    /** The published GFLOPs (= GMACs) column: DyDiT Table for S/B/XL, DiT paper for L. */
    @ParameterizedTest(name = "{0} = {1} GMACs")
    @CsvSource({"DiT-S/2, 6.07", "DiT-B/2, 23.02", "DiT-L/2, 80.7", "DiT-XL/2, 118.69"})
    void totalsMatchThePaperWithinHalfAPercent(String model, double published) {
        double ours = DiTFlops.of(DiTConfig.preset(model)).totalGMacs();
        double rel = Math.abs(ours - published) / published;
        assertTrue(rel < 0.005, model + ": " + ours + " GMACs vs published " + published + " (" + 100 * rel + "%)");
    }

    /** DyDiT's FLOPs loss hard-codes DiT-XL/2's per-block MHSA and MLP costs (DY:loss.py). */
    @Test
    void xlPerBlockTermsMatchDyDiTConstants() {
        DiTFlops f = DiTFlops.of(DiTConfig.preset("DiT-XL/2"));
        assertEquals(1.50994944e9, f.attentionMacs(f.tokens()), 0.5);
        assertEquals(2.717908992e9, f.mlpMacs(f.tokens()), 0.5);
    }

    @Test
    void itemsAddUpToTheTotal() {
        DiTConfig c = DiTConfig.preset("DiT-B/4").withInputSize(16).withInChannels(3);
        DiTFlops f = DiTFlops.of(c);
        long t = f.tokens();
        int h = c.numHeads();
        long attn = f.attentionQkvMacs(t, h) + f.attentionScoresMacs(t, h) + f.attentionValuesMacs(t, h)
                + f.attentionProjMacs(t, h);
        assertEquals(attn, f.attentionMacs(t));
        assertEquals(f.mlpFc1Macs(t, c.mlpHidden()) + f.mlpFc2Macs(t, c.mlpHidden()), f.mlpMacs(t));
        assertEquals(f.adaLNMacs() + attn + f.mlpMacs(t), f.blockMacs());
        long sum = f.patchEmbedMacs() + f.timestepEmbedMacs() + f.labelEmbedMacs()
                + c.depth() * f.blockMacs() + f.finalAdaLNMacs() + f.finalLinearMacs();
        assertEquals(sum, f.totalMacs());
    }

    @Test
    void reportItemsAreTheMethodValues() {
        DiTConfig c = DiTConfig.preset("DiT-S/2");
        DiTFlops f = DiTFlops.of(c);
        Map<String, Object> r = FlopsReport.of("DiT-S/2", c);
        assertEquals(f.totalMacs(), r.get("macs"));
        assertEquals(f.totalGMacs(), (double) r.get("gmacs"));
        @SuppressWarnings("unchecked")
        Map<String, Object> blocks = (Map<String, Object>) r.get("blocks");
        @SuppressWarnings("unchecked")
        Map<String, Object> block = (Map<String, Object>) blocks.get("per_block");
        @SuppressWarnings("unchecked")
        Map<String, Object> attn = (Map<String, Object>) block.get("attention");
        assertEquals(f.attentionMacs(f.tokens()), attn.get("total"));
        assertEquals(c.depth() * f.blockMacs(), blocks.get("total"));
    }

    /** The same block costs are the generic formulas MHSA = 4TD² + 2T²D, MLP = 8TD² at any size. */
    @ParameterizedTest
    @CsvSource({"8, 2, 64, 4", "32, 4, 384, 6", "64, 8, 1152, 16"})
    void blockTermsFollowTheClosedForm(int side, int patch, int width, int heads) {
        DiTConfig c = new DiTConfig(side, patch, 4, width, 2, heads, 10, true, 0.1, 4.0, false);
        DiTFlops f = DiTFlops.of(c);
        long t = c.tokens();
        long d = width;
        assertEquals(4 * t * d * d + 2 * t * t * d, f.attentionMacs(t));
        assertEquals(8 * t * d * d, f.mlpMacs(t));
    }

    /** Dynamic width: cost is linear in active heads and channels, and zero when all are off. */
    @Test
    void attentionAndMlpScaleWithActiveWidth() {
        DiTConfig c = DiTConfig.preset("DiT-XL/2");
        DiTFlops f = DiTFlops.of(c);
        long t = f.tokens();
        assertEquals(0, f.attentionMacs(t, 0));
        assertEquals(f.attentionMacs(t), c.numHeads() * f.attentionMacs(t, 1));
        assertEquals(0, f.mlpMacs(t, 0));
        assertEquals(f.mlpMacs(t), 4 * f.mlpMacs(t, c.mlpHidden() / 4));
        // Fewer tokens through the MLP (token skipping) reduce it proportionally.
        assertEquals(f.mlpMacs(t) / 2, f.mlpMacs(t / 2));
        assertThrows(IllegalArgumentException.class, () -> f.attentionMacs(t, c.numHeads() + 1));
        assertThrows(IllegalArgumentException.class, () -> f.mlpMacs(t, c.mlpHidden() + 1));
    }

    @Test
    void inputSizeAndChannelsChangeTheRightTerms() {
        DiTConfig base = DiTConfig.preset("DiT-S/2");
        DiTFlops f = DiTFlops.of(base);
        DiTFlops big = DiTFlops.of(base.withInputSize(64));   // 512x512 images: 4x the tokens
        assertEquals(4 * f.tokens(), big.tokens());
        assertEquals(4 * f.patchEmbedMacs(), big.patchEmbedMacs());
        assertEquals(f.adaLNMacs(), big.adaLNMacs());
        DiTFlops rgb = DiTFlops.of(base.withInChannels(3));
        assertEquals(f.patchEmbedMacs() / 4 * 3, rgb.patchEmbedMacs());
        assertEquals(f.finalLinearMacs() / 4 * 3, rgb.finalLinearMacs());
        assertEquals(f.blockMacs(), rgb.blockMacs());
    }

    /** A token count beyond an int is a config error, never a wrapped (negative) count. */
    @Test
    void moreTokensThanAModelCanHoldIsAConfigError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DiTConfig(50000, 1, 4, 384, 12, 6, 1000, true, 0.1, 4.0, false));
        assertTrue(e.getMessage().contains("2500000000 tokens"), e.getMessage());
    }

    /** 40000^2 = 1.6e9 tokens fit an int, but T^2 D does not fit a long: an error naming the sizes. */
    @Test
    void aMacCountBeyondALongIsAnErrorNotAWrappedNumber() {
        DiTConfig c = new DiTConfig(40000, 1, 4, 384, 12, 6, 1000, true, 0.1, 4.0, false);
        DiTFlops f = DiTFlops.of(c);
        assertEquals(1_600_000_000L, f.tokens());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::totalMacs);
        assertTrue(e.getMessage().contains("1600000000 tokens") && e.getMessage().contains("hidden_size 384"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FlopsReport.of("big", c));
    }

    /** Token counts whose products pass 2^31 stay exact: 256^2 tokens at width 1152, against the formula by hand. */
    @Test
    void largeCountsAreExact() {
        DiTConfig c = new DiTConfig(256, 1, 4, 1152, 28, 16, 1000, true, 0.1, 4.0, false);
        DiTFlops f = DiTFlops.of(c);
        java.math.BigInteger t = java.math.BigInteger.valueOf(65536), d = java.math.BigInteger.valueOf(1152);
        // per block: adaLN 6 D^2, attention 4 T D^2 + 2 T^2 D, MLP 8 T D^2
        java.math.BigInteger block = d.pow(2).multiply(java.math.BigInteger.valueOf(6))
                .add(t.multiply(d.pow(2)).multiply(java.math.BigInteger.valueOf(12)))
                .add(t.pow(2).multiply(d).multiply(java.math.BigInteger.TWO));
        assertEquals(block.longValueExact(), f.blockMacs());
        assertTrue(f.totalMacs() > 0);
    }
}
