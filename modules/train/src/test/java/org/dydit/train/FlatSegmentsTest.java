package org.dydit.train;

import org.dydit.engine.DiTParams;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flat-store passes past 2 GB: the index arithmetic of DiT-XL/2-sized stores (checked without allocating them),
 * and a small model walked in many tiny segments, which must give the bits of the one-segment walk.
 */
class FlatSegmentsTest {
    static final DiTConfig CFG = new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, false);

    @Test
    void xlSizedStoresSplitIntoBuffersUnder2GB() {
        long xl = 0;   // DiT-XL/2's trainable parameters: 2.7e9 bytes in float32
        for (var e : DiTKeys.expected(DiTConfig.preset("DiT-XL/2")).entrySet()) {
            if (!e.getKey().equals(DiTKeys.POS_EMBED)) xl += Tensor.numel(e.getValue());
        }
        assertTrue(xl * 4 > (1L << 31), "DiT-XL/2 has " + xl + " parameters");
        FlatSegments f = new FlatSegments(xl, FlatSegments.BYTES / 4);
        assertEquals(3, f.count());
        long covered = 0;
        for (int k = 0; k < f.count(); k++) {
            assertEquals(covered, f.start(k));
            assertTrue((long) f.length(k) * 4 < (1L << 31), "segment " + k + " exceeds one buffer");
            covered += f.length(k);
        }
        assertEquals(xl, covered);
        assertEquals(2, f.segmentOf(xl - 1));
        assertEquals(0, f.segmentOf((1L << 28) - 1));
        assertEquals(1, f.segmentOf(1L << 28));
        assertEquals(2, f.segmentOf(1L << 29));   // the float at byte 2^31
        assertEquals(2L << 28, f.start(2));
        assertEquals(xl - (2L << 28), f.length(2));
        // float64 stores of the same model: 5.4e9 bytes in 6 segments
        FlatSegments d = new FlatSegments(xl, FlatSegments.BYTES / 8);
        assertEquals(6, d.count());
        assertEquals(xl - 5L * (1L << 27), d.length(5));
        // the norm's chunk bounds stay exact past 2^31 elements
        long big = 3_000_000_001L;
        assertEquals(big, FlatSegments.chunkStart(big, AdamW.CHUNKS, AdamW.CHUNKS));
        assertEquals(big * 63 / 64, FlatSegments.chunkStart(big, 63, AdamW.CHUNKS));
        assertTrue(FlatSegments.chunkStart(big, 63, AdamW.CHUNKS) > Integer.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, () -> new FlatSegments(10, 100));
    }

    static DiTParams random(long seed) {
        DiTParams p = DiTParams.zeros(CFG, DataType.FLOAT);
        Random r = new Random(seed);
        float[] v = new float[(int) p.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        p.flat().assign(Nd4j.createFromArray(v));
        return p;
    }

    static DiTParams copy(DiTParams p) {
        DiTParams c = p.like();
        c.copyFrom(p);
        return c;
    }

    static float[] values(DiTParams p) {
        return p.flat().dup().data().asFloat();
    }

    @Test
    void manyTinySegmentsGiveTheBitsOfOne() {
        DiTParams p = random(1), g = random(2), m = random(3), v = random(4);
        v.flat().muli(v.flat());   // second moments are non-negative
        long n = p.size();
        assertTrue(n % 64 != 0 && n > 64 * AdamW.CHUNKS, "the model should end inside a segment and span many: " + n);
        FlatSegments one = FlatSegments.of(p.flat()), tiny = new FlatSegments(n, 64);
        assertEquals(1, one.count());
        assertTrue(tiny.count() > 100);

        assertEquals(Double.doubleToRawLongBits(AdamW.norm(g, one)), Double.doubleToRawLongBits(AdamW.norm(g, tiny)));

        AdamW adam = new AdamW(1e-3, 0.9, 0.999, 1e-8, 0.01);
        DiTParams p2 = copy(p), m2 = copy(m), v2 = copy(v);
        adam.update(p, g, m, v, 3, one);
        adam.update(p2, g, m2, v2, 3, tiny);
        assertArrayEquals(values(p), values(p2));
        assertArrayEquals(values(m), values(m2));
        assertArrayEquals(values(v), values(v2));

        DiTParams e = random(5), e2 = copy(e);
        AdamW.ema(e, p, 0.999, one);
        AdamW.ema(e2, p, 0.999, tiny);
        assertArrayEquals(values(e), values(e2));
    }
}
