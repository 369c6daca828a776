package org.dydit.formats;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a .npy file (format versions 1.0, 2.0 and 3.0): magic, version, header length, then a
 * Python dict literal {'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces.
 * The literal is parsed by a tiny grammar (strings, booleans, int tuples), never evaluated.
 */
final class NpyHeader {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** A header is a few hundred bytes; this bounds what a corrupt length can make us allocate. */
    static final int MAX_HEADER = 1 << 20;

    final DType dtype;
    final boolean bigEndian;
    final boolean fortranOrder;
    final long[] shape;

    NpyHeader(DType dtype, boolean bigEndian, boolean fortranOrder, long[] shape) {
        this.dtype = dtype;
        this.bigEndian = bigEndian;
        this.fortranOrder = fortranOrder;
        this.shape = shape;
    }

    static NpyHeader read(InputStream in, String name) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[8];
        try {
            d.readFully(magic);
        } catch (EOFException e) {
            throw FormatException.of(name, null, "truncated: shorter than the 8-byte .npy magic and version");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) throw FormatException.of(name, null, "not a .npy array (bad magic bytes)");
        }
        int major = magic[6] & 0xff;
        long len;
        try {
            if (major == 1) {
                byte[] b = new byte[2];
                d.readFully(b);
                len = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
            } else if (major == 2 || major == 3) {
                byte[] b = new byte[4];
                d.readFully(b);
                len = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            } else {
                throw FormatException.of(name, null, "unsupported .npy format version " + major + "." + (magic[7] & 0xff));
            }
            if (len > MAX_HEADER) throw FormatException.of(name, null, "header length " + len + " is implausible (corrupt file)");
            byte[] h = new byte[(int) len];
            d.readFully(h);
            String text = new String(h, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            return parse(text, name);
        } catch (EOFException e) {
            throw FormatException.of(name, null, "truncated inside the .npy header");
        }
    }

    private static NpyHeader parse(String text, String name) throws FormatException {
        Object v;
        try {
            Lit p = new Lit(text);
            v = p.value();
            p.skipWs();
            if (p.i != text.length()) throw new IllegalArgumentException("trailing text at " + p.i);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw FormatException.of(name, null, "malformed .npy header " + text.trim() + ": " + e.getMessage());
        }
        if (!(v instanceof Map)) throw FormatException.of(name, null, "the .npy header is not a dict: " + text.trim());
        Map<?, ?> m = (Map<?, ?>) v;
        Object descr = m.get("descr");
        Object fo = m.get("fortran_order");
        Object shp = m.get("shape");
        if (!(descr instanceof String)) {
            throw FormatException.of(name, "descr", "unsupported dtype " + descr + " (structured arrays are not read)");
        }
        if (!(fo instanceof Boolean)) throw FormatException.of(name, "fortran_order", "missing or not a boolean");
        if (!(shp instanceof List)) throw FormatException.of(name, "shape", "missing or not a tuple");
        String ds = (String) descr;
        if (ds.length() < 3) throw FormatException.of(name, "descr", "unsupported dtype '" + ds + "'");
        char order = ds.charAt(0);
        char kind = ds.charAt(1);
        int size;
        try {
            size = Integer.parseInt(ds.substring(2));
        } catch (NumberFormatException e) {
            throw FormatException.of(name, "descr", "unsupported dtype '" + ds + "'");
        }
        DType dt = DType.fromNpyKind(kind, size);
        if (dt == null || "<>|=".indexOf(order) < 0) {
            throw FormatException.of(name, "descr", "unsupported dtype '" + ds
                    + "' (read: <f8 <f4 <f2 <i8 <i4 <i2 |i1 |u1 |b1, and their big-endian forms)");
        }
        List<?> l = (List<?>) shp;
        long[] shape = new long[l.size()];
        for (int i = 0; i < shape.length; i++) {
            Object o = l.get(i);
            if (!(o instanceof Long) || (Long) o < 0) throw FormatException.of(name, "shape", "bad dimension " + o);
            shape[i] = (Long) o;
        }
        return new NpyHeader(dt, order == '>' && size > 1, (Boolean) fo, shape);
    }

    /** The bytes of a version 1.0 header (2.0 when the dict needs more than 65535 bytes), padded to 64. */
    static byte[] format(DType dtype, long[] shape) {
        StringBuilder s = new StringBuilder("{'descr': '").append(dtype.npyDescr())
                .append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) s.append(", ");
            s.append(shape[i]);
        }
        if (shape.length == 1) s.append(',');
        s.append("), }");
        int pre = 10;
        int total = (pre + s.length() + 1 + 63) / 64 * 64;
        int version = 1;
        if (total - pre > 65535) {
            pre = 12;
            total = (pre + s.length() + 1 + 63) / 64 * 64;
            version = 2;
        }
        while (pre + s.length() + 1 < total) s.append(' ');
        s.append('\n');
        byte[] dict = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) b.putShort((short) dict.length);
        else b.putInt(dict.length);
        b.put(dict);
        return b.array();
    }

    /** A recursive-descent reader for the Python literals a .npy header holds. */
    private static final class Lit {
        final String s;
        int i;

        Lit(String s) {
            this.s = s;
        }

        void skipWs() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        Object value() {
            skipWs();
            char c = s.charAt(i);
            if (c == '{') return dict();
            if (c == '(' || c == '[') return seq(c == '(' ? ')' : ']');
            if (c == '\'' || c == '"') return str();
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (c == '-' || Character.isDigit(c)) return integer();
            throw new IllegalArgumentException("unexpected '" + c + "' at " + i);
        }

        Map<Object, Object> dict() {
            i++;
            Map<Object, Object> m = new LinkedHashMap<>();
            while (true) {
                skipWs();
                if (s.charAt(i) == '}') { i++; return m; }
                Object k = value();
                skipWs();
                if (s.charAt(i) != ':') throw new IllegalArgumentException("expected ':' at " + i);
                i++;
                m.put(k, value());
                skipWs();
                if (s.charAt(i) == ',') i++;
                else if (s.charAt(i) != '}') throw new IllegalArgumentException("expected ',' or '}' at " + i);
            }
        }

        List<Object> seq(char close) {
            i++;
            List<Object> l = new ArrayList<>();
            while (true) {
                skipWs();
                if (s.charAt(i) == close) { i++; return l; }
                l.add(value());
                skipWs();
                if (s.charAt(i) == ',') i++;
                else if (s.charAt(i) != close) throw new IllegalArgumentException("expected ',' at " + i);
            }
        }

        String str() {
            char q = s.charAt(i++);
            int start = i;
            while (s.charAt(i) != q) {
                if (s.charAt(i) == '\\') throw new IllegalArgumentException("escapes are not expected in a header");
                i++;
            }
            return s.substring(start, i++);
        }

        Long integer() {
            int start = i;
            if (s.charAt(i) == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            long v = Long.parseLong(s.substring(start, i));
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) i++;   // Python 2 longs
            return v;
        }
    }
}
