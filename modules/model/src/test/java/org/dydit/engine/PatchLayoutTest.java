package org.dydit.engine;

import org.dydit.model.DiTConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The token layouts' index maps: each a permutation of the image tensor, with the documented element order. */
class PatchLayoutTest {
    @Test
    void bothMapsArePermutationsWithTheDocumentedOrder() {
        // 8x8 input, patch 2, 3 channels in; learned sigma doubles the output channels
        DiTConfig cfg = new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, false);
        int batch = 2, side = 8, g = 4, ch = 3, co = cfg.outChannels();
        for (int[] map : new int[][]{PatchLayout.input(cfg, batch), PatchLayout.output(cfg, batch)}) {
            boolean[] seen = new boolean[map.length];
            for (int k : map) {
                assertTrue(!seen[k], "index " + k + " appears twice");
                seen[k] = true;
            }
        }
        int[] in = PatchLayout.input(cfg, batch);
        assertEquals(batch * ch * side * side, in.length);
        // sample 1, patch (i=2, j=3), channel 2, ky=1, kx=0
        int row = (1 * g + 2) * g + 3, pp = ch * 4;
        assertEquals(((1 * ch + 2) * side + 2 * 2 + 1) * side + 3 * 2, in[row * pp + (2 * 2 + 1) * 2]);
        int[] out = PatchLayout.output(cfg, batch);
        assertEquals(batch * co * side * side, out.length);
        // same patch, py=1, px=0, output channel co-1
        int w = 4 * co;
        assertEquals(((1 * co + co - 1) * side + 2 * 2 + 1) * side + 3 * 2, out[row * w + (1 * 2) * co + co - 1]);
        PatchLayout.Cache cache = new PatchLayout.Cache(cfg);
        assertEquals(3 * ch * side * side, cache.input(3).length);
        assertEquals(batch * co * side * side, cache.output(batch).length);
    }
}
