package org.dydit.prep.dataset;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.dydit.formats.Half;

/**
 * One fixed-length record: the label as a little-endian int32, then the C×H×W tensor, row-major, as
 * little-endian float16 or float32.
 */
public final class RecordCodec implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int[] shape;
    private final RecordDType dtype;
    private final int elements;

    public RecordCodec(int[] shape, RecordDType dtype) {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("shape dimensions must be positive: " + Arrays.toString(shape));
            n *= d;
        }
        if (4 + n * dtype.bytes() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("record too large: shape " + Arrays.toString(shape));
        }
        this.shape = shape.clone();
        this.dtype = dtype;
        this.elements = (int) n;
    }

    public int[] shape() {
        return shape.clone();
    }

    public RecordDType dtype() {
        return dtype;
    }

    public int elements() {
        return elements;
    }

    /** Bytes per record: 4 for the label plus the tensor. */
    public int recordBytes() {
        return 4 + elements * dtype.bytes();
    }

    /** Encodes one record into {@code out} at {@code offset}. */
    public void encode(int label, float[] tensor, byte[] out, int offset) {
        if (tensor.length != elements) {
            throw new IllegalArgumentException("tensor has " + tensor.length + " values, shape "
                    + Arrays.toString(shape) + " needs " + elements);
        }
        ByteBuffer b = ByteBuffer.wrap(out, offset, recordBytes()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(label);
        if (dtype == RecordDType.FLOAT32) {
            b.asFloatBuffer().put(tensor);
        } else {
            for (int i = 0; i < elements; i++) b.putShort(4 + offset + 2 * i, Half.floatToF16(tensor[i]));
        }
    }

    public byte[] encode(int label, float[] tensor) {
        byte[] out = new byte[recordBytes()];
        encode(label, tensor, out, 0);
        return out;
    }

    /** The label of the record at {@code offset}. */
    public int label(byte[] data, int offset) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
    }

    /** The tensor of the record at {@code offset}, widened to float. */
    public float[] tensor(byte[] data, int offset) {
        float[] t = new float[elements];
        tensorInto(data, offset, t, 0);
        return t;
    }

    /** {@link #tensor} into {@code out[outOffset .. outOffset + elements)}, allocating nothing. */
    public void tensorInto(byte[] data, int offset, float[] out, int outOffset) {
        if (dtype == RecordDType.FLOAT32) {
            for (int i = 0; i < elements; i++) out[outOffset + i] = Float.intBitsToFloat(le32(data, offset + 4 + 4 * i));
        } else {
            for (int i = 0; i < elements; i++) {
                int at = offset + 4 + 2 * i;
                out[outOffset + i] = Half.f16ToFloat((short) ((data[at] & 0xff) | (data[at + 1] & 0xff) << 8));
            }
        }
    }

    private static int le32(byte[] d, int at) {
        return (d[at] & 0xff) | (d[at + 1] & 0xff) << 8 | (d[at + 2] & 0xff) << 16 | (d[at + 3] & 0xff) << 24;
    }
}
