package org.dydit.formats;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** F16 and BF16 conversions: exact on every representable value, round-to-nearest-even otherwise. */
class HalfTest {

    /** Every F16 pattern decodes to sign x 2^(e-15) x (1 + m/1024), or m x 2^-24 when subnormal, worked out in double. */
    @Test
    void everyF16BitPatternDecodesToItsValue() {
        for (int h = 0; h < 0x10000; h++) {
            int e = (h >>> 10) & 0x1f;
            int m = h & 0x3ff;
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            float f = Half.f16ToFloat((short) h);
            if (e == 0x1f) {
                assertTrue(m == 0 ? f == sign * Double.POSITIVE_INFINITY : Float.isNaN(f), "pattern " + Integer.toHexString(h));
                continue;
            }
            double want = e == 0 ? sign * m * Math.pow(2, -24) : sign * Math.pow(2, e - 15) * (1 + m / 1024.0);
            assertEquals(want, f, 0.0, "pattern " + Integer.toHexString(h));
            assertEquals((h & 0x8000) != 0, (Float.floatToRawIntBits(f) & 0x80000000) != 0, "sign of " + Integer.toHexString(h));
        }
    }

    @Test
    void everyF16BitPatternRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.f16ToFloat((short) h);
            int back = Half.floatToF16(f) & 0xffff;
            if (Float.isNaN(f)) assertTrue((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0, "NaN stays NaN: " + h);
            else assertEquals(h, back, "pattern " + Integer.toHexString(h));
        }
    }

    @Test
    void everyBf16BitPatternRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.bf16ToFloat((short) h);
            int back = Half.floatToBf16(f) & 0xffff;
            if (Float.isNaN(f)) assertTrue(Float.isNaN(Half.bf16ToFloat((short) back)), "NaN stays NaN");
            else assertEquals(h, back, "pattern " + Integer.toHexString(h));
        }
    }

    /** The representable value one step away from h (in magnitude), or +inf past the largest finite. */
    private static double neighbour(int h, int step, boolean bf) {
        int n = (h & 0x7fff) + step;
        if (n < 0) return Double.NaN;
        float v = bf ? Half.bf16ToFloat((short) n) : Half.f16ToFloat((short) n);
        return (h & 0x8000) != 0 ? -v : v;
    }

    private static void assertNearestEven(float x, boolean bf) {
        int h = (bf ? Half.floatToBf16(x) : Half.floatToF16(x)) & 0xffff;
        double d = bf ? Half.bf16ToFloat((short) h) : Half.f16ToFloat((short) h);
        double err = Math.abs(x - d);
        for (int step : new int[] {-1, 1}) {
            double nb = neighbour(h, step, bf);
            if (Double.isNaN(nb) || Double.isInfinite(nb)) continue;
            double e2 = Math.abs(x - nb);
            assertTrue(err <= e2, x + " -> " + d + " but " + nb + " is nearer");
            if (err == e2) assertEquals(0, h & 1, x + ": a tie goes to the even mantissa");
        }
    }

    @Test
    void roundsToNearestEven() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            // magnitudes from f16 subnormals to its largest finite value
            float x = (float) (Math.scalb(1 + r.nextDouble(), r.nextInt(-26, 15)) * (r.nextBoolean() ? 1 : -1));
            if (Math.abs(x) < 65504f) assertNearestEven(x, false);
            assertNearestEven(x, true);
        }
        // exact midpoints between neighbours, where ties decide
        for (int h = 1; h < 0x7bff; h += 37) {
            float mid = (float) ((Half.f16ToFloat((short) h) + (double) Half.f16ToFloat((short) (h + 1))) / 2);
            assertNearestEven(mid, false);
        }
        float max = Half.f16ToFloat((short) 0x7bff);
        float ulp = max - Half.f16ToFloat((short) 0x7bfe);
        assertEquals(0x7bff, Half.floatToF16(max + ulp / 2 - 1) & 0xffff, "just under the overflow midpoint");
        assertEquals(0x7c00, Half.floatToF16(max + ulp / 2) & 0xffff, "the midpoint ties to even: infinity");
        assertEquals(0x7c00, Half.floatToF16(65520f) & 0xffff);
        assertEquals(0x7bff, Half.floatToF16(65519f) & 0xffff);
        assertEquals(Half.floatToF16(1f), Half.floatToF16(1f + 0x1p-11f), "1 + half an ulp rounds down to even");
        assertEquals((short) (Half.floatToF16(1f) + 2), Half.floatToF16(1f + 3 * 0x1p-11f), "1 + 1.5 ulp rounds up to even");
        assertEquals(0x0001, Half.floatToF16(0x1p-24f * 0.75f) & 0xffff, "three quarters of the smallest subnormal rounds up");
        assertEquals(0x0000, Half.floatToF16(0x1p-25f) & 0xffff, "half the smallest subnormal ties to zero");
        assertEquals(0x8000, Half.floatToF16(-0x1p-26f) & 0xffff, "underflow keeps the sign");
    }

    /** Past the largest finite half everything at or above its rounding midpoint (65520) becomes infinity. */
    @Test
    void overflowsOnlyFromTheMidpointUp() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) ((r.nextDouble() * 2 - 1) * Math.pow(2, r.nextInt(10, 17)));
            int h = Half.floatToF16(x) & 0xffff;
            boolean inf = (h & 0x7fff) == 0x7c00;
            assertEquals(Math.abs(x) >= 65520f, inf, "overflow of " + x);
            if (!inf) assertNearestEven(x, false);
        }
    }

    @Test
    void tensorCastsAndConversions() {
        Tensor t = Tensor.ofFloats(new long[] {2, 2}, new float[] {1.5f, -2.25f, 65504f, 1e-3f});
        assertEquals(t.toFloats()[2], t.cast(DType.F16).toFloats()[2]);
        assertEquals(t, t.cast(DType.F64).cast(DType.F32));
        assertEquals(8, t.cast(DType.F16).byteSize());
        Tensor big = Tensor.ofLongs(new long[] {1}, new long[] {1L << 40});
        assertEquals(1L << 40, big.toLongs()[0]);
        org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class, big::toInts);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofFloats(new long[] {3}, new float[2]));
        assertEquals(-2.0, Tensor.ofFloats(new long[] {1}, new float[] {-2.7f}).cast(DType.I32).toInts()[0]);
        Tensor u8 = Tensor.ofBytes(DType.U8, new long[] {2}, new byte[] {(byte) 200, 3});
        assertEquals(200f, u8.toFloats()[0]);
        assertEquals(1, Tensor.scalar(3).numel());
        assertEquals(0, Tensor.scalar(3).rank());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {4}, t.reshape(4).shape());
    }
}
