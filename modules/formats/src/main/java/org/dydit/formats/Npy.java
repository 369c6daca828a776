package org.dydit.formats;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * numpy's .npy arrays: read &lt;f8 &lt;f4 &lt;f2 &lt;i8 &lt;i4 &lt;i2 |i1 |u1 |b1 (big-endian forms are byte-swapped),
 * C or Fortran order (Fortran is reordered to C on read), format versions 1.0 to 3.0. Written as version 1.0
 * C-order little-endian, as np.save writes them.
 */
public final class Npy {
    private Npy() {}

    public static Tensor read(Path f) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
            return read(in, f.toAbsolutePath().toString());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(f.toAbsolutePath().toString(), null, "no such .npy file");
        }
    }

    /** Reads one array from the stream (leaves anything after it unread); {@code nameForErrors} labels errors. */
    public static Tensor read(InputStream in, String nameForErrors) throws IOException {
        NpyHeader h = NpyHeader.read(in, nameForErrors);
        long numel;
        long bytes;
        try {
            numel = Tensor.numel(h.shape);
            bytes = Math.multiplyExact(numel, h.dtype.bytes());
        } catch (ArithmeticException e) {
            throw FormatException.of(nameForErrors, "shape", "shape overflows");
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw FormatException.of(nameForErrors, null, "array of " + bytes + " bytes exceeds a Java array (2 GiB)");
        }
        byte[] data = new byte[(int) bytes];
        int got = readUpTo(in, data);
        if (got < data.length) {
            throw FormatException.of(nameForErrors, null, "truncated: the header promises " + bytes
                    + " data bytes, only " + got + " present");
        }
        int es = h.dtype.bytes();
        if (h.bigEndian) swap(data, es);
        if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape, es);
        return Tensor.wrap(h.dtype, h.shape, data);
    }

    /** The dtype and shape in the file's header. */
    public static ArrayInfo info(Path f) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 4096)) {
            NpyHeader h = NpyHeader.read(in, f.toAbsolutePath().toString());
            return new ArrayInfo(h.dtype, h.shape);
        }
    }

    /**
     * Streams a C-order array in blocks of at most {@code rowsPerChunk} rows, so arrays larger than the heap
     * (such as a 50,000-image sample batch) can be consumed. Fortran-order arrays of rank above 1 are refused.
     */
    public static void readRows(Path f, int rowsPerChunk, RowConsumer consumer) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
            readRows(in, f.toAbsolutePath().toString(), rowsPerChunk, consumer);
        }
    }

    public static void readRows(InputStream in, String nameForErrors, int rowsPerChunk, RowConsumer consumer) throws IOException {
        if (rowsPerChunk <= 0) throw new IllegalArgumentException("rowsPerChunk must be positive: " + rowsPerChunk);
        NpyHeader h = NpyHeader.read(in, nameForErrors);
        if (h.shape.length == 0) {
            byte[] one = new byte[h.dtype.bytes()];
            if (readUpTo(in, one) < one.length) throw FormatException.of(nameForErrors, null, "truncated: the 0-d array's data is missing");
            if (h.bigEndian) swap(one, one.length);
            consumer.accept(0, Tensor.wrap(h.dtype, h.shape, one));
            return;
        }
        if (h.fortranOrder && h.shape.length > 1) {
            throw FormatException.of(nameForErrors, null, "a Fortran-order array cannot be streamed by rows; read it whole or re-save it in C order");
        }
        int es = h.dtype.bytes();
        long rowBytes = es;
        for (int i = 1; i < h.shape.length; i++) rowBytes = Math.multiplyExact(rowBytes, h.shape[i]);
        long rows = h.shape[0];
        int per = (int) Math.max(1, Math.min(rowsPerChunk, (Integer.MAX_VALUE - 8) / Math.max(1, rowBytes)));
        if (rowBytes > Integer.MAX_VALUE - 8) throw FormatException.of(nameForErrors, null, "one row of " + rowBytes + " bytes exceeds a Java array");
        for (long r = 0; r < rows; r += per) {
            int n = (int) Math.min(per, rows - r);
            byte[] data = new byte[(int) (n * rowBytes)];
            int got = readUpTo(in, data);
            if (got < data.length) {
                throw FormatException.of(nameForErrors, null, "truncated: data ends inside row " + (r + got / rowBytes) + " of " + rows);
            }
            if (h.bigEndian) swap(data, es);
            long[] shape = h.shape.clone();
            shape[0] = n;
            consumer.accept(r, Tensor.wrap(h.dtype, shape, data));
        }
    }

    private static int readUpTo(InputStream in, byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int r = in.read(b, off, b.length - off);
            if (r < 0) break;
            off += r;
        }
        return off;
    }

    private static void swap(byte[] d, int es) {
        for (int i = 0; i < d.length; i += es) {
            for (int a = i, b = i + es - 1; a < b; a++, b--) {
                byte t = d[a];
                d[a] = d[b];
                d[b] = t;
            }
        }
    }

    /** Reorders column-major bytes to row-major: walk C indices, track the matching Fortran offset. */
    static byte[] fortranToC(byte[] src, long[] shape, int es) {
        int r = shape.length;
        long[] fStride = new long[r];
        long s = 1;
        for (int k = 0; k < r; k++) {
            fStride[k] = s;
            s *= shape[k];
        }
        byte[] dst = new byte[src.length];
        long n = src.length / es;
        int[] idx = new int[r];
        long fOff = 0;
        for (long c = 0; c < n; c++) {
            System.arraycopy(src, (int) (fOff * es), dst, (int) (c * es), es);
            for (int k = r - 1; k >= 0; k--) {       // increment the C-order counter, last axis fastest
                idx[k]++;
                fOff += fStride[k];
                if (idx[k] < shape[k]) break;
                fOff -= fStride[k] * shape[k];
                idx[k] = 0;
            }
        }
        return dst;
    }

    /** Writes atomically (temp file + rename). BF16 has no numpy dtype and is refused. */
    public static void write(Path f, Tensor t) throws IOException {
        byte[] header = NpyHeader.format(t.dtype(), t.shape());
        AtomicFile.write(f, ch -> {
            OutputStream out = Channels.newOutputStream(ch);
            out.write(header);
            out.write(t.bytesNoCopy());
            out.flush();
        });
    }

    public static void write(OutputStream out, Tensor t) throws IOException {
        out.write(NpyHeader.format(t.dtype(), t.shape()));
        out.write(t.bytesNoCopy());
    }

    /** The byte length {@link #write(OutputStream, Tensor)} produces. */
    static long encodedLength(Tensor t) {
        return NpyHeader.format(t.dtype(), t.shape()).length + t.byteSize();
    }


}
