package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VecMath's exp and lane sum: accurate, and the same bits before and after the JIT compiles them (what makes training runs
 * reproducible across processes; with {@code lanewise(EXP)} in its place the first test fails once C2 compiles).
 */
class VecMathTest {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    private static float[] apply(float[] x) {
        int l = SP.length();
        float[] out = new float[x.length + x.length / l];
        int k = 0;
        for (int i = 0; i + l <= x.length; i += l) {
            FloatVector v = FloatVector.fromArray(SP, x, i);
            VecMath.expNonPositive(v.abs().neg()).intoArray(out, k);
            k += l;
            out[k++] = VecMath.addLanes(v);
        }
        return java.util.Arrays.copyOf(out, k);
    }

    @Test
    void sameBitsInterpretedAndCompiled() {
        Random r = new Random(1);
        float[] x = new float[SP.length() * 8];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 3);
        float[] first = apply(x);   // the first calls run before C2 has compiled anything here
        for (int rep = 0; rep < 30_000; rep++) {
            float[] again = apply(x);
            for (int i = 0; i < first.length; i++) {
                if (Float.floatToRawIntBits(first[i]) != Float.floatToRawIntBits(again[i])) {
                    throw new AssertionError("value " + i + " changed at repeat " + rep + ": " + first[i] + " -> " + again[i]);
                }
            }
        }
    }

    @Test
    void expOfNonPositiveArgumentsIsAccurate() {
        Random r = new Random(7);
        int l = SP.length();
        float[] x = new float[64 * l], y = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (-r.nextDouble() * (i % 2 == 0 ? 1 : 90));
        x[0] = 0f;
        x[1] = -Float.MIN_VALUE;
        x[2] = -0.34657359f;   // -ln2/2: the reduction's edge
        x[3] = -86.99f;
        x[4] = -100f;
        x[5] = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i += l) VecMath.expNonPositive(FloatVector.fromArray(SP, x, i)).intoArray(y, i);
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            if (x[i] >= -87f) {
                if (Math.abs(y[i] - want) > 2e-7 * want) throw new AssertionError("exp(" + x[i] + ") = " + y[i] + ", want " + want);
            } else if (!(y[i] >= 0 && y[i] < 2e-38)) {
                throw new AssertionError("exp(" + x[i] + ") = " + y[i] + ", want a value below 2e-38");
            }
        }
    }

    @Test
    void theLaneSumIsTheFixedPairwiseTree() {
        int l = SP.length();
        // the lane sum is the pairwise tree lane i + lane i^(L/2), then L/4, ...
        float[] v = new float[l];
        for (int j = 0; j < l; j++) v[j] = 1f / (j + 3);
        float[] t = v.clone();
        for (int k = l / 2; k >= 1; k /= 2) {
            float[] n = new float[l];
            for (int j = 0; j < l; j++) n[j] = t[j] + t[j ^ k];
            t = n;
        }
        org.junit.jupiter.api.Assertions.assertEquals(t[0], VecMath.addLanes(FloatVector.fromArray(SP, v, 0)), 0f);
    }
}
