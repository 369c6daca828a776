package org.dydit.kernels;

import jdk.incubator.vector.FloatVector;

import static org.dydit.kernels.VectorKernels.L;
import static org.dydit.kernels.VectorKernels.ON;
import static org.dydit.kernels.VectorKernels.SP;

/**
 * The one matmul micro-kernel of both engines, on heap arrays:
 * {@code c[cOff + r*ldc + j] = sum_kk A(r, kk) * b[bOff + kk*ldb + j]} for r < rows, j < cols, with
 * {@code A(r, kk) = a[aOff + r*ais + kk*aks]}: {@code aks = 1} reads A row-major, {@code ais = 1} reads it
 * transposed (the attention backward's P^T and dS^T).
 *
 * <p>Six rows by four vectors of accumulators stay in registers across the whole k loop, so b is loaded once per six
 * FMAs (measured 175-210 GFLOP/s against 130-170 for four rows on the 256 x 64 x 256 score product); columns past
 * the last block of four vectors go two, then one vector, then one scalar at a time; rows past the last block of
 * six go one at a time. Every element is the same FMA chain over kk in order whatever the blocking, so the result
 * does not depend on the row count or on where a block starts.
 */
public final class MatmulKernel {
    private MatmulKernel() {}

    /** Rows per register block. */
    public static final int ROWS = 6;

    public static void multiply(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, int rows, int cols, int k) {
        int r = 0;
        for (; r + ROWS <= rows; r += ROWS) {
            rows6(a, aOff + r * ais, ais, aks, b, bOff, ldb, c, cOff + r * ldc, ldc, cols, k);
        }
        for (; r < rows; r++) row1(a, aOff + r * ais, aks, b, bOff, ldb, c, cOff + r * ldc, cols, k);
    }

    private static void rows6(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb, float[] c,
                              int cOff, int ldc, int cols, int k) {
        int j = 0;
        if (ON) {
            // one method per block width, each compiled on its own with its own inlining budget: with one method
            // the JIT left vector operations out of line in some runs (the Vector API's Java fallback in JFR
            // samples), 2-8x slower for the whole run
            j = rows6Blocks4(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, j, cols, k);
            j = rows6Blocks2(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, j, cols, k);
            j = rows6Blocks1(a, aOff, ais, aks, b, bOff, ldb, c, cOff, ldc, j, cols, k);
        }
        for (int r = 0; r < ROWS; r++) scalarTail(a, aOff + r * ais, aks, b, bOff, ldb, c, cOff + r * ldc, j, cols, k);
    }

    /** One row: vectors of columns, then the scalar tail. */
    private static void row1(float[] a, int aOff, int aks, float[] b, int bOff, int ldb, float[] c, int cOff,
                             int cols, int k) {
        int j = 0;
        if (ON) {
            for (; j + L <= cols; j += L) {
                FloatVector acc = FloatVector.zero(SP);
                for (int kk = 0, ak = aOff; kk < k; kk++, ak += aks) {
                    acc = FloatVector.fromArray(SP, b, bOff + kk * ldb + j).fma(FloatVector.broadcast(SP, a[ak]), acc);
                }
                acc.intoArray(c, cOff + j);
            }
        }
        scalarTail(a, aOff, aks, b, bOff, ldb, c, cOff, j, cols, k);
    }

    private static void scalarTail(float[] a, int aOff, int aks, float[] b, int bOff, int ldb, float[] c, int cOff,
                                   int j, int cols, int k) {
        for (; j < cols; j++) {
            float acc = 0;
            for (int kk = 0, ak = aOff; kk < k; kk++, ak += aks) acc = Math.fma(a[ak], b[bOff + kk * ldb + j], acc);
            c[cOff + j] = acc;
        }
    }

    /** The 6-row blocks 4 vector(s) wide from column j on; returns the first column left. */
    private static int rows6Blocks4(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb, float[] c,
                                 int cOff, int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais, a4 = a3 + ais, a5 = a4 + ais;
        for (; j + 4 * L <= cols; j += 4 * L) {
            FloatVector z = FloatVector.zero(SP);
            FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
            for (int kk = 0, ak = 0; kk < k; kk++, ak += aks) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo);
                FloatVector b1 = FloatVector.fromArray(SP, b, bo + L);
                FloatVector b2 = FloatVector.fromArray(SP, b, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(SP, b, bo + 3 * L);
                FloatVector x0 = FloatVector.broadcast(SP, a[a0 + ak]);
                c00 = b0.fma(x0, c00);
                c01 = b1.fma(x0, c01);
                c02 = b2.fma(x0, c02);
                c03 = b3.fma(x0, c03);
                FloatVector x1 = FloatVector.broadcast(SP, a[a1 + ak]);
                c10 = b0.fma(x1, c10);
                c11 = b1.fma(x1, c11);
                c12 = b2.fma(x1, c12);
                c13 = b3.fma(x1, c13);
                FloatVector x2 = FloatVector.broadcast(SP, a[a2 + ak]);
                c20 = b0.fma(x2, c20);
                c21 = b1.fma(x2, c21);
                c22 = b2.fma(x2, c22);
                c23 = b3.fma(x2, c23);
                FloatVector x3 = FloatVector.broadcast(SP, a[a3 + ak]);
                c30 = b0.fma(x3, c30);
                c31 = b1.fma(x3, c31);
                c32 = b2.fma(x3, c32);
                c33 = b3.fma(x3, c33);
                FloatVector x4 = FloatVector.broadcast(SP, a[a4 + ak]);
                c40 = b0.fma(x4, c40);
                c41 = b1.fma(x4, c41);
                c42 = b2.fma(x4, c42);
                c43 = b3.fma(x4, c43);
                FloatVector x5 = FloatVector.broadcast(SP, a[a5 + ak]);
                c50 = b0.fma(x5, c50);
                c51 = b1.fma(x5, c51);
                c52 = b2.fma(x5, c52);
                c53 = b3.fma(x5, c53);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            c01.intoArray(c, o + L);
            c02.intoArray(c, o + 2 * L);
            c03.intoArray(c, o + 3 * L);
            o += ldc;
            c10.intoArray(c, o);
            c11.intoArray(c, o + L);
            c12.intoArray(c, o + 2 * L);
            c13.intoArray(c, o + 3 * L);
            o += ldc;
            c20.intoArray(c, o);
            c21.intoArray(c, o + L);
            c22.intoArray(c, o + 2 * L);
            c23.intoArray(c, o + 3 * L);
            o += ldc;
            c30.intoArray(c, o);
            c31.intoArray(c, o + L);
            c32.intoArray(c, o + 2 * L);
            c33.intoArray(c, o + 3 * L);
            o += ldc;
            c40.intoArray(c, o);
            c41.intoArray(c, o + L);
            c42.intoArray(c, o + 2 * L);
            c43.intoArray(c, o + 3 * L);
            o += ldc;
            c50.intoArray(c, o);
            c51.intoArray(c, o + L);
            c52.intoArray(c, o + 2 * L);
            c53.intoArray(c, o + 3 * L);
        }
        return j;
    }

    /** The 6-row blocks 2 vector(s) wide from column j on; returns the first column left. */
    private static int rows6Blocks2(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb, float[] c,
                                 int cOff, int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais, a4 = a3 + ais, a5 = a4 + ais;
        for (; j + 2 * L <= cols; j += 2 * L) {
            FloatVector z = FloatVector.zero(SP);
            FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
            for (int kk = 0, ak = 0; kk < k; kk++, ak += aks) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo);
                FloatVector b1 = FloatVector.fromArray(SP, b, bo + L);
                FloatVector x0 = FloatVector.broadcast(SP, a[a0 + ak]);
                c00 = b0.fma(x0, c00);
                c01 = b1.fma(x0, c01);
                FloatVector x1 = FloatVector.broadcast(SP, a[a1 + ak]);
                c10 = b0.fma(x1, c10);
                c11 = b1.fma(x1, c11);
                FloatVector x2 = FloatVector.broadcast(SP, a[a2 + ak]);
                c20 = b0.fma(x2, c20);
                c21 = b1.fma(x2, c21);
                FloatVector x3 = FloatVector.broadcast(SP, a[a3 + ak]);
                c30 = b0.fma(x3, c30);
                c31 = b1.fma(x3, c31);
                FloatVector x4 = FloatVector.broadcast(SP, a[a4 + ak]);
                c40 = b0.fma(x4, c40);
                c41 = b1.fma(x4, c41);
                FloatVector x5 = FloatVector.broadcast(SP, a[a5 + ak]);
                c50 = b0.fma(x5, c50);
                c51 = b1.fma(x5, c51);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            c01.intoArray(c, o + L);
            o += ldc;
            c10.intoArray(c, o);
            c11.intoArray(c, o + L);
            o += ldc;
            c20.intoArray(c, o);
            c21.intoArray(c, o + L);
            o += ldc;
            c30.intoArray(c, o);
            c31.intoArray(c, o + L);
            o += ldc;
            c40.intoArray(c, o);
            c41.intoArray(c, o + L);
            o += ldc;
            c50.intoArray(c, o);
            c51.intoArray(c, o + L);
        }
        return j;
    }

    /** The 6-row blocks 1 vector(s) wide from column j on; returns the first column left. */
    private static int rows6Blocks1(float[] a, int aOff, int ais, int aks, float[] b, int bOff, int ldb, float[] c,
                                 int cOff, int ldc, int j, int cols, int k) {
        int a0 = aOff, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais, a4 = a3 + ais, a5 = a4 + ais;
        for (; j + L <= cols; j += L) {
            FloatVector z = FloatVector.zero(SP);
            FloatVector c00 = z, c10 = z, c20 = z, c30 = z, c40 = z, c50 = z;
            for (int kk = 0, ak = 0; kk < k; kk++, ak += aks) {
                int bo = bOff + kk * ldb + j;
                FloatVector b0 = FloatVector.fromArray(SP, b, bo);
                FloatVector x0 = FloatVector.broadcast(SP, a[a0 + ak]);
                c00 = b0.fma(x0, c00);
                FloatVector x1 = FloatVector.broadcast(SP, a[a1 + ak]);
                c10 = b0.fma(x1, c10);
                FloatVector x2 = FloatVector.broadcast(SP, a[a2 + ak]);
                c20 = b0.fma(x2, c20);
                FloatVector x3 = FloatVector.broadcast(SP, a[a3 + ak]);
                c30 = b0.fma(x3, c30);
                FloatVector x4 = FloatVector.broadcast(SP, a[a4 + ak]);
                c40 = b0.fma(x4, c40);
                FloatVector x5 = FloatVector.broadcast(SP, a[a5 + ak]);
                c50 = b0.fma(x5, c50);
            }
            int o = cOff + j;
            c00.intoArray(c, o);
            o += ldc;
            c10.intoArray(c, o);
            o += ldc;
            c20.intoArray(c, o);
            o += ldc;
            c30.intoArray(c, o);
            o += ldc;
            c40.intoArray(c, o);
            o += ldc;
            c50.intoArray(c, o);
        }
        return j;
    }
}
