package org.dydit.formats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An in-heap, row-major (C-order) tensor held as little-endian bytes of its dtype, so that reading a
 * file and writing it back is bit-exact for every dtype (F16/BF16 included). Immutable: factories and
 * accessors copy.
 */
public final class Tensor {
    private final DType dtype;
    private final long[] shape;
    private final byte[] data;

    private Tensor(DType dtype, long[] shape, byte[] data, boolean copy) {
        if (dtype == null) throw new IllegalArgumentException("dtype is null");
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = numel(this.shape);
        if (n * dtype.bytes() != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + n * dtype.bytes() + " bytes, got " + data.length);
        }
        this.data = copy ? data.clone() : data;
    }

    /** Product of the dims; a 0-d shape has one element. Negative dims throw. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    static Tensor wrap(DType dtype, long[] shape, byte[] littleEndianData) {
        return new Tensor(dtype, shape, littleEndianData, false);
    }

    public static Tensor ofFloats(long[] shape, float[] data) {
        checkCount(shape, data.length);
        return wrap(DType.F32, shape, Codec.fromFloats(DType.F32, data));
    }

    public static Tensor ofDoubles(long[] shape, double[] data) {
        checkCount(shape, data.length);
        return wrap(DType.F64, shape, Codec.fromDoubles(DType.F64, data));
    }

    public static Tensor ofLongs(long[] shape, long[] data) {
        checkCount(shape, data.length);
        return wrap(DType.I64, shape, Codec.fromLongs(DType.I64, data));
    }

    public static Tensor ofInts(long[] shape, int[] data) {
        checkCount(shape, data.length);
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(data);
        return wrap(DType.I32, shape, b.array());
    }

    /** Raw little-endian bytes of any dtype (U8 images, F16 weights, ...); the array is copied. */
    public static Tensor ofBytes(DType dtype, long[] shape, byte[] littleEndianData) {
        return new Tensor(dtype, shape, littleEndianData, true);
    }

    /** Floats stored as {@code dtype} (F16/BF16 rounded to nearest even). */
    public static Tensor ofFloats(DType dtype, long[] shape, float[] data) {
        checkCount(shape, data.length);
        return wrap(dtype, shape, Codec.fromFloats(dtype, data));
    }

    /** A 0-d F64 tensor. */
    public static Tensor scalar(double v) {
        return ofDoubles(new long[0], new double[] {v});
    }

    /** A 0-d F32 tensor. */
    public static Tensor scalarFloat(float v) {
        return ofFloats(new long[0], new float[] {v});
    }

    private static void checkCount(long[] shape, int n) {
        if (numel(shape) != n) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + numel(shape)
                    + " elements, data has " + n);
        }
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return data.length / dtype.bytes();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative counts from the end. */
    public long dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    private ByteBuffer buf() {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    public float[] toFloats() {
        float[] out = new float[(int) numel()];
        Codec.toFloats(dtype, buf(), out, 0, out.length);
        return out;
    }

    public double[] toDoubles() {
        double[] out = new double[(int) numel()];
        Codec.toDoubles(dtype, buf(), out, 0, out.length);
        return out;
    }

    public long[] toLongs() {
        long[] out = new long[(int) numel()];
        Codec.toLongs(dtype, buf(), out, 0, out.length);
        return out;
    }

    /** Values as ints; an I64 value outside the int range throws ArithmeticException rather than wrapping. */
    public int[] toInts() {
        long[] l = toLongs();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    /** The single value of a tensor with one element (0-d or any shape of numel 1). */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with " + numel() + " elements");
        return toDoubles()[0];
    }

    /**
     * The flat (C-order) index of the first NaN or infinite value, or -1 when every value is finite (always for
     * integer dtypes). Reads the stored bytes in place, without a copy.
     */
    public long firstNonFinite() {
        ByteBuffer b = buf();
        long n = numel();
        switch (dtype) {
            case F64:
                for (long i = 0; i < n; i++) if (!Double.isFinite(b.getDouble((int) (i * 8)))) return i;
                return -1;
            case F32:
                for (long i = 0; i < n; i++) if (!Float.isFinite(b.getFloat((int) (i * 4)))) return i;
                return -1;
            case F16:
                // exponent bits all ones: inf or NaN
                for (long i = 0; i < n; i++) if ((b.getShort((int) (i * 2)) & 0x7C00) == 0x7C00) return i;
                return -1;
            case BF16:
                for (long i = 0; i < n; i++) if ((b.getShort((int) (i * 2)) & 0x7F80) == 0x7F80) return i;
                return -1;
            default:
                return -1;
        }
    }

    /** Little-endian bytes in this tensor's dtype (a copy). */
    public byte[] rawBytes() {
        return data.clone();
    }

    /** Number of data bytes. */
    public long byteSize() {
        return data.length;
    }

    /** Shares the (immutable) bytes without copying; for writers in this package. */
    byte[] bytesNoCopy() {
        return data;
    }

    /** The same values in another dtype (floats round to nearest even; floats to ints truncate). */
    public Tensor cast(DType to) {
        if (to == dtype) return this;
        if (to.isFloating() && to != DType.F64 && dtype != DType.F64 && dtype != DType.I64) {
            return wrap(to, shape, Codec.fromFloats(to, toFloats()));
        }
        if (to.isFloating() || dtype.isFloating()) return wrap(to, shape, Codec.fromDoubles(to, toDoubles()));
        return wrap(to, shape, Codec.fromLongs(to, toLongs()));
    }

    /** The same bytes under another shape with the same element count. */
    public Tensor reshape(long... newShape) {
        return new Tensor(dtype, newShape, data, false);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Tensor)) return false;
        Tensor t = (Tensor) o;
        return dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + ", " + Arrays.toString(shape) + ")";
    }
}
