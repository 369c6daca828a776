package org.dydit.prep.job;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.dydit.prep.dataset.Storage;

/**
 * The idx format of (Fashion-)MNIST: a big-endian header (magic {@code 0x0000 08 NDIM}, then NDIM sizes)
 * and unsigned bytes. Files may be gzipped, as Debian ships them.
 */
final class IdxFile {
    final Path path;
    final int[] dims;
    final int headerBytes;

    private IdxFile(Path path, int[] dims) {
        this.path = path;
        this.dims = dims;
        this.headerBytes = 4 + 4 * dims.length;
    }

    /** Items (the first dimension) and bytes per item. */
    int count() {
        return dims[0];
    }

    int itemBytes() {
        int n = 1;
        for (int i = 1; i < dims.length; i++) n *= dims[i];
        return n;
    }

    static InputStream openStream(Path p, Configuration conf) throws IOException {
        InputStream in = new BufferedInputStream(Storage.fs(p, conf).open(p), 1 << 16);
        return p.getName().endsWith(".gz") ? new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16) : in;
    }

    static IdxFile open(Path p, Configuration conf, int expectedRank) throws IOException {
        try (DataInputStream in = new DataInputStream(openStream(p, conf))) {
            int magic = in.readInt();
            if ((magic >>> 8) != 0x08 || (magic & 0xFF) != expectedRank) {
                throw new IOException(p + ": not an idx file of unsigned bytes with " + expectedRank
                        + " dimension(s) (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int[] dims = new int[expectedRank];
            for (int i = 0; i < expectedRank; i++) dims[i] = in.readInt();
            return new IdxFile(p, dims);
        } catch (EOFException e) {
            throw new IOException(p + ": truncated idx header", e);
        }
    }

    /** Reads items {@code [from, to)}. */
    byte[] read(Configuration conf, int from, int to) throws IOException {
        byte[] out = new byte[(to - from) * itemBytes()];
        try (DataInputStream in = new DataInputStream(openStream(path, conf))) {
            in.skipNBytes(headerBytes + (long) from * itemBytes());
            in.readFully(out);
        } catch (EOFException e) {
            throw new IOException(path + ": truncated: cannot read items " + from + ".." + (to - 1)
                    + " (header says " + count() + ")", e);
        }
        return out;
    }
}
