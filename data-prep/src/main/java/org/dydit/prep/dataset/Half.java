package org.dydit.prep.dataset;

/** IEEE 754 binary16 conversion (Java 17 has no Float.floatToFloat16). Rounds to nearest, ties to even. */
public final class Half {
    private Half() {}

    /** The binary16 bits nearest to {@code f}; overflow gives infinity, NaN stays NaN. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) return (short) (sign | 0x7C00);
        if (e <= 0) {
            if (e < -10) return (short) sign;           // below half the smallest subnormal: zero
            int m = mant | 0x800000;                    // implicit leading one
            int shift = 14 - e;                         // to the 10-bit subnormal mantissa
            int h = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (h & 1) != 0)) h++;
            return (short) (sign | h);
        }
        int h = (e << 10) | (mant >>> 13);
        int rest = mant & 0x1FFF;
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) h++;
        return (short) (sign | h);
    }

    /** The float value of binary16 bits (exact). */
    public static float toFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;   // subnormal: mant * 2^-24, exact in float
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
