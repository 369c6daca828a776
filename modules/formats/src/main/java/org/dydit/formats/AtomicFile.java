package org.dydit.formats;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Every file the project writes goes through here: the bytes go to a temporary file beside the target, which is
 * renamed over it only when complete, so a crash or bad input never leaves a half-written file under the real
 * name or damages the previous version. Folders are written the same way by {@link AtomicFolder}.
 */
public final class AtomicFile {
    /** Fills the temporary file through its channel. */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel ch) throws IOException;
    }

    /** Fills the temporary file through a buffered stream (which the body must not close). */
    @FunctionalInterface
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFile() {}

    /**
     * A fresh name beside {@code abs}. Not Files.createTempFile: that makes the file owner-only (0600), and the
     * renamed result must get the usual permissions (umask) so other users and Spark executors can read it.
     */
    static Path tempBeside(Path abs) {
        String rnd = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        return abs.resolveSibling("." + abs.getFileName() + "." + rnd + ".tmp");
    }

    /**
     * Whether {@code a} and {@code b} name the same file or folder, through any other spelling of the path or a
     * symbolic link: a command checks its output against its inputs with this before it writes anything.
     */
    public static boolean sameFile(Path a, Path b) throws IOException {
        if (Files.exists(a) && Files.exists(b)) return Files.isSameFile(a, b);
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** Writes {@code target} through a channel; on any failure the target is as it was. */
    public static void write(Path target, Body body) throws IOException {
        try (Pending p = open(target)) {
            body.write(p.channel);
            p.commit();
        }
    }

    /** Writes {@code target} through a stream; on any failure the target is as it was. */
    public static void writeStream(Path target, StreamBody body) throws IOException {
        try (Pending p = open(target)) {
            body.write(p.stream());
            p.commit();
        }
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        writeStream(target, out -> out.write(bytes));
    }

    /** Writes {@code text} as UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Opens the temporary file of {@code target} for a writer that streams over time (an archive written array by
     * array): {@link Pending#commit()} renames it onto the target; {@link Pending#close()} before that deletes it.
     */
    public static Pending open(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = tempBeside(abs);
        return new Pending(abs, tmp, FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW));
    }

    /** A temporary file on its way to its target. */
    public static final class Pending implements Closeable {
        private final Path target;
        private final Path tmp;
        private final FileChannel channel;
        private OutputStream stream;
        private boolean committed;
        private boolean closed;

        private Pending(Path target, Path tmp, FileChannel channel) {
            this.target = target;
            this.tmp = tmp;
            this.channel = channel;
        }

        /** The target's absolute path. */
        public Path target() {
            return target;
        }

        /** A buffered stream into the temporary file; closing it does not close the file. */
        public OutputStream stream() {
            if (stream == null) {
                stream = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16) {
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                };
            }
            return stream;
        }

        /** Flushes the content to disk and renames the temporary file onto the target. */
        public void commit() throws IOException {
            if (closed) throw new IOException(target + ": already closed, nothing to commit");
            if (stream != null) stream.flush();
            channel.force(true);
            channel.close();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
            closed = true;
        }

        /** Without a commit: deletes the temporary file and leaves the target as it was. */
        @Override
        public void close() throws IOException {
            if (closed) return;
            closed = true;
            try {
                channel.close();
            } finally {
                if (!committed) Files.deleteIfExists(tmp);
            }
        }
    }
}
