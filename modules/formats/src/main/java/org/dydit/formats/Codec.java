package org.dydit.formats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Decodes and encodes little-endian element bytes of any DType to and from Java arrays. */
final class Codec {
    private Codec() {}

    /** Reads {@code n} elements of {@code dt} at the buffer's position (advancing it) into dst[off..]. */
    static void toFloats(DType dt, ByteBuffer src, float[] dst, int off, int n) {
        ByteBuffer b = src.order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case F32: b.asFloatBuffer().get(dst, off, n); b.position(b.position() + 4 * n); return;
            case F64: for (int i = 0; i < n; i++) dst[off + i] = (float) b.getDouble(); return;
            case F16: for (int i = 0; i < n; i++) dst[off + i] = Half.f16ToFloat(b.getShort()); return;
            case BF16: for (int i = 0; i < n; i++) dst[off + i] = Half.bf16ToFloat(b.getShort()); return;
            case I64: for (int i = 0; i < n; i++) dst[off + i] = b.getLong(); return;
            case I32: for (int i = 0; i < n; i++) dst[off + i] = b.getInt(); return;
            case I16: for (int i = 0; i < n; i++) dst[off + i] = b.getShort(); return;
            case I8: for (int i = 0; i < n; i++) dst[off + i] = b.get(); return;
            case U8: for (int i = 0; i < n; i++) dst[off + i] = b.get() & 0xff; return;
            case BOOL: for (int i = 0; i < n; i++) dst[off + i] = b.get() != 0 ? 1f : 0f; return;
            default: throw new IllegalStateException(dt.name());
        }
    }

    static void toDoubles(DType dt, ByteBuffer src, double[] dst, int off, int n) {
        ByteBuffer b = src.order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case F64: b.asDoubleBuffer().get(dst, off, n); b.position(b.position() + 8 * n); return;
            case F32: for (int i = 0; i < n; i++) dst[off + i] = b.getFloat(); return;
            case F16: for (int i = 0; i < n; i++) dst[off + i] = Half.f16ToFloat(b.getShort()); return;
            case BF16: for (int i = 0; i < n; i++) dst[off + i] = Half.bf16ToFloat(b.getShort()); return;
            case I64: for (int i = 0; i < n; i++) dst[off + i] = b.getLong(); return;
            case I32: for (int i = 0; i < n; i++) dst[off + i] = b.getInt(); return;
            case I16: for (int i = 0; i < n; i++) dst[off + i] = b.getShort(); return;
            case I8: for (int i = 0; i < n; i++) dst[off + i] = b.get(); return;
            case U8: for (int i = 0; i < n; i++) dst[off + i] = b.get() & 0xff; return;
            case BOOL: for (int i = 0; i < n; i++) dst[off + i] = b.get() != 0 ? 1 : 0; return;
            default: throw new IllegalStateException(dt.name());
        }
    }

    /** Integers as longs; floating values are truncated toward zero, as a C cast does. */
    static void toLongs(DType dt, ByteBuffer src, long[] dst, int off, int n) {
        ByteBuffer b = src.order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case I64: b.asLongBuffer().get(dst, off, n); b.position(b.position() + 8 * n); return;
            case I32: for (int i = 0; i < n; i++) dst[off + i] = b.getInt(); return;
            case I16: for (int i = 0; i < n; i++) dst[off + i] = b.getShort(); return;
            case I8: for (int i = 0; i < n; i++) dst[off + i] = b.get(); return;
            case U8: for (int i = 0; i < n; i++) dst[off + i] = b.get() & 0xff; return;
            case BOOL: for (int i = 0; i < n; i++) dst[off + i] = b.get() != 0 ? 1 : 0; return;
            case F64: for (int i = 0; i < n; i++) dst[off + i] = (long) b.getDouble(); return;
            case F32: for (int i = 0; i < n; i++) dst[off + i] = (long) b.getFloat(); return;
            case F16: for (int i = 0; i < n; i++) dst[off + i] = (long) Half.f16ToFloat(b.getShort()); return;
            case BF16: for (int i = 0; i < n; i++) dst[off + i] = (long) Half.bf16ToFloat(b.getShort()); return;
            default: throw new IllegalStateException(dt.name());
        }
    }

    static byte[] fromFloats(DType dt, float[] src) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(src.length, dt.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case F32: b.asFloatBuffer().put(src); break;
            case F64: for (float v : src) b.putDouble(v); break;
            case F16: for (float v : src) b.putShort(Half.floatToF16(v)); break;
            case BF16: for (float v : src) b.putShort(Half.floatToBf16(v)); break;
            default: {
                double[] d = new double[src.length];
                for (int i = 0; i < d.length; i++) d[i] = src[i];
                return fromDoubles(dt, d);
            }
        }
        return b.array();
    }

    static byte[] fromDoubles(DType dt, double[] src) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(src.length, dt.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case F64: b.asDoubleBuffer().put(src); break;
            case F32: for (double v : src) b.putFloat((float) v); break;
            case F16: for (double v : src) b.putShort(Half.floatToF16((float) v)); break;
            case BF16: for (double v : src) b.putShort(Half.floatToBf16((float) v)); break;
            case I64: for (double v : src) b.putLong((long) v); break;
            case I32: for (double v : src) b.putInt((int) v); break;
            case I16: for (double v : src) b.putShort((short) v); break;
            case I8: case U8: for (double v : src) b.put((byte) (long) v); break;
            case BOOL: for (double v : src) b.put((byte) (v != 0 ? 1 : 0)); break;
            default: throw new IllegalStateException(dt.name());
        }
        return b.array();
    }

    static byte[] fromLongs(DType dt, long[] src) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(src.length, dt.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        switch (dt) {
            case I64: b.asLongBuffer().put(src); break;
            case I32: for (long v : src) b.putInt((int) v); break;
            case I16: for (long v : src) b.putShort((short) v); break;
            case I8: case U8: for (long v : src) b.put((byte) v); break;
            case BOOL: for (long v : src) b.put((byte) (v != 0 ? 1 : 0)); break;
            case F64: for (long v : src) b.putDouble(v); break;
            case F32: for (long v : src) b.putFloat(v); break;
            case F16: for (long v : src) b.putShort(Half.floatToF16(v)); break;
            case BF16: for (long v : src) b.putShort(Half.floatToBf16(v)); break;
            default: throw new IllegalStateException(dt.name());
        }
        return b.array();
    }
}
