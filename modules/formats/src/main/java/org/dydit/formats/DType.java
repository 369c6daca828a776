package org.dydit.formats;

import java.util.Locale;

/** Element types, named as safetensors names them; every value is stored little-endian. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The safetensors header name ("F32", "BF16", ...); unknown names throw IllegalArgumentException. */
    public static DType fromSafetensors(String name) {
        if (name != null) {
            for (DType d : values()) {
                if (d.name().equals(name)) return d;
            }
        }
        throw new IllegalArgumentException("unknown safetensors dtype '" + name + "' (known: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
    }

    public String safetensorsName() {
        return name();
    }

    /** numpy's little-endian descr for this type ("&lt;f4", "|u1", ...); BF16 has none. */
    public String npyDescr() {
        switch (this) {
            case F64: return "<f8";
            case F32: return "<f4";
            case F16: return "<f2";
            case I64: return "<i8";
            case I32: return "<i4";
            case I16: return "<i2";
            case I8: return "|i1";
            case U8: return "|u1";
            case BOOL: return "|b1";
            default: throw new IllegalArgumentException("numpy has no " + this + " dtype; convert to F32 first");
        }
    }

    /**
     * The type of a numpy descr such as "&lt;f4" or "|u1". Returns null when the descr is not one we read;
     * big-endian descrs (">f4") are reported by the caller, which knows the file.
     */
    static DType fromNpyKind(char kind, int size) {
        switch (Character.toLowerCase(kind)) {
            case 'f':
                return size == 8 ? F64 : size == 4 ? F32 : size == 2 ? F16 : null;
            case 'i':
                return size == 8 ? I64 : size == 4 ? I32 : size == 2 ? I16 : size == 1 ? I8 : null;
            case 'u':
                return size == 1 ? U8 : null;
            case 'b':
                return size == 1 ? BOOL : null;
            default:
                return null;
        }
    }

    @Override
    public String toString() {
        return name().toUpperCase(Locale.ROOT);
    }
}
