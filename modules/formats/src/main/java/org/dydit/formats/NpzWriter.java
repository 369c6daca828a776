package org.dydit.formats;

import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes an .npz archive array by array, each array streamed in pieces, so a sample batch larger than the heap
 * (50,000 images of 256x256x3 are 9.8 GB) can be written as the ADM evaluator expects. Entries are stored
 * (as np.savez) or deflated (as np.savez_compressed); sizes and CRCs follow each entry in a data descriptor,
 * with ZIP64 records where sizes or offsets pass 4 GiB. The archive is written to a temp file and renamed onto
 * the target by {@link #close()}; {@link #abort()} (or a failed entry) leaves the target untouched.
 */
public final class NpzWriter implements Closeable {
    private static final long MAX32 = 0xFFFFFFFFL;

    private static final class Done {
        final byte[] name;
        final boolean deflated;
        final long crc;
        final long csize;
        final long usize;
        final long offset;

        Done(byte[] name, boolean deflated, long crc, long csize, long usize, long offset) {
            this.name = name;
            this.deflated = deflated;
            this.crc = crc;
            this.csize = csize;
            this.usize = usize;
            this.offset = offset;
        }
    }

    private final Path target;
    private final AtomicFile.Pending file;
    private final boolean compressed;
    private final CountingStream out;
    private final List<Done> done = new ArrayList<>();
    private final Set<String> keys = new LinkedHashSet<>();
    private EntryStream open;
    private boolean closed;
    private boolean failed;

    private NpzWriter(AtomicFile.Pending file, boolean compressed) {
        this.target = file.target();
        this.file = file;
        this.compressed = compressed;
        this.out = new CountingStream(file.stream());
    }

    public static NpzWriter open(Path file, boolean compressed) throws IOException {
        return new NpzWriter(AtomicFile.open(file), compressed);
    }

    /** Adds a whole in-heap array. */
    public void write(String key, Tensor t) throws IOException {
        try (OutputStream s = begin(key, t.dtype(), t.shape())) {
            s.write(t.bytesNoCopy());
        }
    }

    /**
     * Starts array {@code key}; write exactly numel x dtype.bytes() little-endian C-order bytes to the returned
     * stream and close it before the next array. A wrong byte count fails the whole archive.
     */
    public OutputStream begin(String key, DType dtype, long[] shape) throws IOException {
        if (closed || failed) throw new IllegalStateException(target + ": writer is closed");
        if (open != null) throw new IllegalStateException(FormatException.message(target, open.key, "previous array is still open"));
        if (!keys.add(key)) throw new IllegalArgumentException(FormatException.message(target, key, "duplicate array name"));
        byte[] header = NpyHeader.format(dtype, shape);
        long expect = Math.addExact(header.length, Math.multiplyExact(Tensor.numel(shape), dtype.bytes()));
        byte[] name = (key + ".npy").getBytes(StandardCharsets.UTF_8);
        long offset = out.count;
        try {
            localHeader(name);
        } catch (IOException e) {
            failed = true;
            throw e;
        }
        open = new EntryStream(key, name, offset, expect);
        open.write(header);
        return open;
    }

    private void localHeader(byte[] name) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x04034b50).putShort((short) 45).putShort((short) (0x08 | 0x800))
                .putShort((short) (compressed ? 8 : 0)).putShort((short) 0).putShort((short) 0x21)   // 1980-01-01
                .putInt(0).putInt(0).putInt(0).putShort((short) name.length).putShort((short) 0);
        out.write(b.array());
        out.write(name);
    }

    /** One entry's data: counts and checksums uncompressed bytes, deflating them when asked. */
    private final class EntryStream extends FilterOutputStream {
        final String key;
        final byte[] name;
        final long offset;
        final long expect;
        final CRC32 crc = new CRC32();
        final long dataStart;
        final Deflater deflater;
        long usize;
        boolean ended;

        EntryStream(String key, byte[] name, long offset, long expect) {
            super(null);
            this.key = key;
            this.name = name;
            this.offset = offset;
            this.expect = expect;
            this.dataStart = NpzWriter.this.out.count;
            if (compressed) {
                deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
                this.out = new DeflaterOutputStream(new NonClosing(NpzWriter.this.out), deflater, 1 << 16);
            } else {
                deflater = null;
                this.out = new NonClosing(NpzWriter.this.out);
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (ended) throw new IOException(FormatException.message(target, key, "array stream already closed"));
            if (usize + len > expect) {
                failed = true;
                throw new IOException(FormatException.message(target, key, "more bytes than its shape and dtype hold (" + (expect) + " with the header)"));
            }
            crc.update(b, off, len);
            usize += len;
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (ended) return;
            ended = true;
            open = null;
            if (usize != expect) {
                failed = true;
                throw new IOException(FormatException.message(target, key, "got " + usize + " bytes, its shape and dtype need " + expect + " (with the header)"));
            }
            try {
                if (deflater != null) {
                    ((DeflaterOutputStream) out).finish();
                    deflater.end();
                }
                long csize = NpzWriter.this.out.count - dataStart;
                boolean z64 = csize >= MAX32 || usize >= MAX32;
                ByteBuffer d = ByteBuffer.allocate(z64 ? 24 : 16).order(ByteOrder.LITTLE_ENDIAN);
                d.putInt(0x08074b50).putInt((int) crc.getValue());
                if (z64) d.putLong(csize).putLong(usize);
                else d.putInt((int) csize).putInt((int) usize);
                NpzWriter.this.out.write(d.array());
                done.add(new Done(name, compressed, crc.getValue(), csize, usize, offset));
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }

    /** Finishes the archive (central directory) and renames it onto the target. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        if (failed || open != null) {
            String why = open != null ? FormatException.message(target, open.key, "array left open") : target + ": an array failed";
            abort();
            throw new IOException(why + "; nothing was written");
        }
        closed = true;
        boolean ok = false;
        try {
            long cdStart = out.count;
            for (Done e : done) centralEntry(e);
            long cdSize = out.count - cdStart;
            boolean z64 = done.size() >= 0xFFFF || cdStart >= MAX32 || cdSize >= MAX32;
            if (z64) {
                long z64At = out.count;
                ByteBuffer r = ByteBuffer.allocate(56 + 20).order(ByteOrder.LITTLE_ENDIAN);
                r.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                        .putLong(done.size()).putLong(done.size()).putLong(cdSize).putLong(cdStart);
                r.putInt(0x07064b50).putInt(0).putLong(z64At).putInt(1);
                out.write(r.array());
            }
            ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
            int n = z64 ? 0xFFFF : done.size();
            end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) n).putShort((short) n)
                    .putInt((int) Math.min(cdSize, MAX32)).putInt((int) Math.min(cdStart, MAX32)).putShort((short) 0);
            out.write(end.array());
            out.flush();
            file.commit();
            ok = true;
        } finally {
            if (!ok) file.close();
        }
    }

    private void centralEntry(Done e) throws IOException {
        boolean bigU = e.usize >= MAX32;
        boolean bigC = e.csize >= MAX32;
        boolean bigO = e.offset >= MAX32;
        int extra = (bigU || bigC || bigO) ? 4 + 8 * ((bigU ? 1 : 0) + (bigC ? 1 : 0) + (bigO ? 1 : 0)) : 0;
        ByteBuffer b = ByteBuffer.allocate(46 + e.name.length + extra).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) (0x08 | 0x800))
                .putShort((short) (e.deflated ? 8 : 0)).putShort((short) 0).putShort((short) 0x21)
                .putInt((int) e.crc).putInt((int) (bigC ? MAX32 : e.csize)).putInt((int) (bigU ? MAX32 : e.usize))
                .putShort((short) e.name.length).putShort((short) extra).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) (bigO ? MAX32 : e.offset));
        b.put(e.name);
        if (extra > 0) {
            b.putShort((short) 1).putShort((short) (extra - 4));
            if (bigU) b.putLong(e.usize);
            if (bigC) b.putLong(e.csize);
            if (bigO) b.putLong(e.offset);
        }
        out.write(b.array());
    }

    /** Discards everything written; the target is left as it was. */
    public void abort() throws IOException {
        closed = true;
        file.close();
    }

    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream o) {
            super(o);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream o) {
            super(o);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
