package org.dydit.prep.dataset;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/** Small helpers over Hadoop's FileSystem API, so that hdfs://, file:// and plain paths all work. */
public final class Storage {
    private Storage() {}

    /**
     * The file system of {@code p}. Local paths use the raw local file system: Hadoop's default one
     * would leave a hidden {@code .crc} file beside every part file and checksum every read.
     */
    public static FileSystem fs(Path p, Configuration conf) throws IOException {
        FileSystem fs = p.getFileSystem(conf);
        return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    }

    /** Reads a whole file; {@code limit} guards against reading a huge file by mistake. */
    public static byte[] readAll(Path p, Configuration conf, long limit) throws IOException {
        FileSystem fs = fs(p, conf);
        long len = fs.getFileStatus(p).getLen();
        if (len > limit) throw new IOException(p + ": " + len + " bytes, more than the " + limit + " this reader accepts");
        try (InputStream in = fs.open(p)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(len, 32));
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    public static String readText(Path p, Configuration conf) throws IOException {
        return new String(readAll(p, conf, 64L << 20), StandardCharsets.UTF_8);
    }

    /**
     * Writes a new text file (UTF-8) under a temporary name beside {@code p}, renamed to {@code p} only when
     * complete, as {@code org.dydit.formats.AtomicFile} does for local files; fails if {@code p} exists.
     */
    public static void writeText(Path p, Configuration conf, String text) throws IOException {
        FileSystem fs = fs(p, conf);
        if (fs.exists(p)) throw new FileAlreadyExistsException(p + " already exists");
        Path tmp = new Path(p.getParent(), "." + p.getName() + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
        boolean done = false;
        try {
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            if (!fs.rename(tmp, p)) throw new IOException("cannot rename " + tmp + " to " + p);
            done = true;
        } finally {
            if (!done) fs.delete(tmp, false);
        }
    }

    public static OutputStream create(Path p, Configuration conf) throws IOException {
        return fs(p, conf).create(p, true);
    }
}
