package org.dydit.formats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Tensor#firstNonFinite()} in every floating dtype, read from the stored bytes. */
class TensorTest {
    private static final long[] SHAPE = {2, 3};

    @Test
    void findsTheFirstNaNOrInfinityInEveryFloatingDtype() {
        for (DType d : new DType[]{DType.F64, DType.F32, DType.F16, DType.BF16}) {
            assertEquals(-1, Tensor.ofFloats(d, SHAPE, new float[]{0, 1, -2, 65000f, 1e-3f, -0f}).firstNonFinite(), d.name());
            assertEquals(4, Tensor.ofFloats(d, SHAPE, new float[]{0, 1, 2, 3, Float.NaN, Float.NaN}).firstNonFinite(), d.name());
            assertEquals(0, Tensor.ofFloats(d, SHAPE, new float[]{Float.POSITIVE_INFINITY, 1, 2, 3, 4, 5}).firstNonFinite(), d.name());
            assertEquals(5, Tensor.ofFloats(d, SHAPE, new float[]{0, 1, 2, 3, 4, Float.NEGATIVE_INFINITY}).firstNonFinite(), d.name());
        }
    }

    @Test
    void integersAreAlwaysFinite() {
        assertEquals(-1, Tensor.ofLongs(SHAPE, new long[]{Long.MIN_VALUE, -1, 0, 1, 2, Long.MAX_VALUE}).firstNonFinite());
    }
}
