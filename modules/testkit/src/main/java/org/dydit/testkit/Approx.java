package org.dydit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Element-wise closeness as the golden README defines it: {@code |a - b| <= atol + rtol * |b|},
 * with {@code b} the expected value. The failure names the tensor, the first bad index and the worst error.
 */
public final class Approx {
    private Approx() {}

    /** Float32 tolerances of the fixtures' README. */
    public static final double F32_ATOL = 2e-4;
    public static final double F32_RTOL = 1e-5;

    public static void assertClose(String what, double[] expected, double[] actual, double atol, double rtol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        int bad = 0;
        int first = -1;
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double err = Math.abs(a - e);
            boolean ok = err <= atol + rtol * Math.abs(e) && !Double.isNaN(a) == !Double.isNaN(e);
            if (Double.isNaN(a) && !Double.isNaN(e)) ok = false;
            if (!ok) {
                bad++;
                if (first < 0) first = i;
            }
            if (!(err <= worst)) {
                worst = err;
                worstAt = i;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements out of tolerance (atol %.1e, rtol %.1e); first at %d: "
                            + "expected %.9g got %.9g; worst |err| %.3e at %d",
                    what, bad, expected.length, atol, rtol, first, expected[first], actual[first], worst, worstAt));
        }
    }

    public static void assertClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        assertClose(what, toDouble(expected), toDouble(actual), atol, rtol);
    }

    public static void assertClose(String what, double[] expected, float[] actual, double atol, double rtol) {
        assertClose(what, expected, toDouble(actual), atol, rtol);
    }

    /** Exact equality, for masks and integer tensors. */
    public static void assertExact(String what, double[] expected, double[] actual) {
        assertClose(what, expected, actual, 0, 0);
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
