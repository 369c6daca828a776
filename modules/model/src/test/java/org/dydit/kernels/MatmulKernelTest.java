package org.dydit.kernels;

import org.dydit.testkit.Approx;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The micro-kernel against double loops, for every blocking path, both strides and offsets. */
class MatmulKernelTest {
    private static float[] rnd(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void productMatchesLoopsForEveryBlockingAndStride() {
        Random r = new Random(4);
        int l = VectorKernels.L;
        for (int rows : new int[]{1, 4, 6, 7, 13}) {
            for (int cols : new int[]{4 * l, 8 * l, 5 * l, 4 * l + 3, 2, l + 1, 2 * l, 7 * l + 2}) {
                for (int k : new int[]{1, 9, 64}) {
                    for (boolean transposed : new boolean[]{false, true}) {
                        // row-major A: ais = k + 2, aks = 1; transposed A (stored k x rows): ais = 1, aks = rows + 3
                        int ais = transposed ? 1 : k + 2, aks = transposed ? rows + 3 : 1, aOff = 1;
                        int ldb = cols + 5, ldc = cols + 7, bOff = 3, cOff = 4;
                        float[] a = rnd(aOff + (rows - 1) * ais + (k - 1) * aks + 1, r), b = rnd(bOff + k * ldb, r);
                        float[] c = new float[cOff + rows * ldc];
                        Arrays.fill(c, Float.NaN);
                        MatmulKernel.multiply(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, rows, cols, k);
                        double[] want = new double[rows * cols];
                        float[] got = new float[rows * cols];
                        for (int i = 0; i < rows; i++) {
                            for (int j = 0; j < cols; j++) {
                                for (int kk = 0; kk < k; kk++) {
                                    want[i * cols + j] += (double) a[aOff + i * ais + kk * aks] * b[bOff + kk * ldb + j];
                                }
                                got[i * cols + j] = c[cOff + i * ldc + j];
                            }
                        }
                        String what = "rows " + rows + " cols " + cols + " k " + k + (transposed ? " A^T" : "");
                        Approx.assertClose(what, want, got, 1e-4, 1e-5);
                        for (int i = 0; i < rows; i++) {
                            for (int j = cols; j < ldc && cOff + i * ldc + j < c.length; j++) {
                                assertTrue(Float.isNaN(c[cOff + i * ldc + j]), what + ": wrote outside its panel at row " + i + " col " + j);
                            }
                        }
                    }
                }
            }
        }
    }

    /** A row's bits do not depend on the block it falls in: the same row alone gives the same floats. */
    @Test
    void aRowIsTheSameWhateverItsBlock() {
        Random r = new Random(9);
        int rows = 13, k = 37, cols = 5 * VectorKernels.L + 3;
        float[] a = rnd(rows * k, r), b = rnd(k * cols, r), all = new float[rows * cols];
        MatmulKernel.multiply(a, 0, k, 1, b, 0, cols, all, 0, cols, rows, cols, k);
        for (int i = 0; i < rows; i++) {
            float[] one = new float[cols];
            MatmulKernel.multiply(a, i * k, k, 1, b, 0, cols, one, 0, cols, 1, cols, k);
            assertArrayEquals(one, Arrays.copyOfRange(all, i * cols, (i + 1) * cols), "row " + i);
        }
    }
}
