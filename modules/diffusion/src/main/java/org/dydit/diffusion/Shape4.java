package org.dydit.diffusion;

import java.util.Arrays;

/** A validated NCHW batch shape: the diffusion math only needs the batch size and the per-sample size. */
final class Shape4 {
    final int batch;
    final int channels;
    final int plane;      // H·W
    final int perSample;  // C·H·W

    private Shape4(int batch, int channels, int plane) {
        this.batch = batch;
        this.channels = channels;
        this.plane = plane;
        this.perSample = channels * plane;
    }

    /** Checks {@code shape} is (B,C,H,W) and that {@code length} elements fill it. */
    static Shape4 of(long[] shape, int length, String what) {
        if (shape == null || shape.length != 4) {
            throw new IllegalArgumentException(what + ": expected an NCHW shape (B,C,H,W), got "
                    + Arrays.toString(shape));
        }
        long n = 1;
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException(what + ": non-positive dimension in " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": too large " + Arrays.toString(shape));
        if (n != length) {
            throw new IllegalArgumentException(what + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " elements but the array has " + length);
        }
        return new Shape4((int) shape[0], (int) shape[1], (int) (shape[2] * shape[3]));
    }

    /** Checks a model output of (B,2C,H,W) for this (B,C,H,W) input. */
    void checkModelOutput(int length, String what) {
        if (length != 2 * batch * perSample) {
            throw new IllegalArgumentException(what + ": the model output must be (B,2C,H,W) = " + batch + "x"
                    + (2 * channels) + "x" + plane + " pixels (" + 2 * batch * perSample + " values: ε̂ then the "
                    + "variance interpolation v), got " + length + " values");
        }
    }

    void checkSame(int length, String what) {
        if (length != batch * perSample) {
            throw new IllegalArgumentException(what + ": expected " + batch * perSample + " values (B·C·H·W), got " + length);
        }
    }

    void checkTimesteps(int[] t, int numTimesteps, String what) {
        if (t == null || t.length != batch) {
            throw new IllegalArgumentException(what + ": expected " + batch + " timestep indices, got "
                    + (t == null ? "null" : t.length));
        }
        for (int i = 0; i < t.length; i++) {
            if (t[i] < 0 || t[i] >= numTimesteps) {
                throw new IllegalArgumentException(what + ": timestep index " + t[i] + " of sample " + i
                        + " is outside 0.." + (numTimesteps - 1));
            }
        }
    }

    static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static float[] toFloats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
