package org.dydit.kernels;

import org.bytedeco.javacpp.BytePointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access to the off-heap memory of a contiguous ND4J array, so that fused element-wise kernels run as
 * plain Java loops over the array in place (no copies, no ND4J op dispatch). TrainingKernels are written once against
 * this class in double arithmetic; float32 arrays (training) and float64 arrays (gradient checks) share them.
 * Hot float32 kernels additionally use {@link #bytes()} with the Vector API.
 */
public abstract class NdBuffer {
    /** Number of elements. */
    public final int n;

    NdBuffer(int n) {
        this.n = n;
    }

    public abstract double get(int i);

    public abstract void set(int i, double v);

    public final void add(int i, double v) {
        set(i, get(i) + v);
    }

    /** Copies {@code len} elements starting at {@code off} into {@code dst[dOff..]} (bulk; rows of a kernel). */
    public abstract void read(int off, double[] dst, int dOff, int len);

    /** Copies {@code src[sOff..sOff+len)} to elements {@code off..} (rounded to the array's type). */
    public abstract void write(int off, double[] src, int sOff, int len);

    /** Per-thread float staging for bulk row copies of float32 arrays. */
    private static final ThreadLocal<float[]> STAGE = ThreadLocal.withInitial(() -> new float[1024]);

    static float[] stage(int len) {
        float[] f = STAGE.get();
        if (f.length < len) {
            f = new float[Math.max(len, 2 * f.length)];
            STAGE.set(f);
        }
        return f;
    }

    /** The raw bytes (native order), for Vector API kernels on float32 data. */
    public abstract ByteBuffer bytes();

    public abstract boolean isFloat();

    /** A view of {@code a}'s elements in row-major order; {@code a} must be contiguous and C-ordered. */
    public static NdBuffer of(INDArray a) {
        if (a.length() > Integer.MAX_VALUE) throw new IllegalArgumentException("array too large for a kernel: " + a.length());
        if (a.length() > 1 && (a.elementWiseStride() != 1 || (a.rank() > 1 && a.ordering() != 'c' && !a.isVector()))) {
            throw new IllegalArgumentException("kernel needs a contiguous C-order array, got shape "
                    + java.util.Arrays.toString(a.shape()) + " order " + a.ordering() + " ews " + a.elementWiseStride());
        }
        int n = (int) a.length();
        DataType t = a.dataType();
        long bytes = (long) n * t.width();
        // addressPointer() already points at the view's first element.
        ByteBuffer bb = new BytePointer(a.data().addressPointer()).capacity(bytes).limit(bytes).asByteBuffer()
                .order(ByteOrder.nativeOrder());
        if (t == DataType.FLOAT) return new F(n, bb);
        if (t == DataType.DOUBLE) return new D(n, bb);
        throw new IllegalArgumentException("kernels support FLOAT and DOUBLE, got " + t);
    }

    static final class F extends NdBuffer {
        final FloatBuffer b;
        final ByteBuffer bb;

        F(int n, ByteBuffer bb) {
            super(n);
            this.bb = bb;
            this.b = bb.asFloatBuffer();
        }

        @Override public double get(int i) { return b.get(i); }
        @Override public void set(int i, double v) { b.put(i, (float) v); }
        @Override public ByteBuffer bytes() { return bb; }
        @Override public boolean isFloat() { return true; }

        @Override
        public void read(int off, double[] dst, int dOff, int len) {
            float[] f = stage(len);
            b.get(off, f, 0, len);
            for (int i = 0; i < len; i++) dst[dOff + i] = f[i];
        }

        @Override
        public void write(int off, double[] src, int sOff, int len) {
            float[] f = stage(len);
            for (int i = 0; i < len; i++) f[i] = (float) src[sOff + i];
            b.put(off, f, 0, len);
        }
    }

    static final class D extends NdBuffer {
        final DoubleBuffer b;
        final ByteBuffer bb;

        D(int n, ByteBuffer bb) {
            super(n);
            this.bb = bb;
            this.b = bb.asDoubleBuffer();
        }

        @Override public double get(int i) { return b.get(i); }
        @Override public void set(int i, double v) { b.put(i, v); }
        @Override public ByteBuffer bytes() { return bb; }
        @Override public boolean isFloat() { return false; }

        @Override
        public void read(int off, double[] dst, int dOff, int len) {
            b.get(off, dst, dOff, len);
        }

        @Override
        public void write(int off, double[] src, int sOff, int len) {
            b.put(off, src, sOff, len);
        }
    }
}
