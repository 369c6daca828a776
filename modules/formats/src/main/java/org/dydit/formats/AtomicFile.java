package org.dydit.formats;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every file the project writes goes through here: the bytes go to a temporary file beside the target, which is
 * renamed over it only when complete, so a crash or bad input never leaves a half-written file under the real
 * name or damages the previous version. Folders are written the same way by {@link AtomicFolder}. The temporary name
 * records its owner ({@code .NAME.HEX-PID@HOST.tmp}); the first write of a process into a folder removes the
 * temporaries of killed writers there.
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
        return abs.resolveSibling("." + abs.getFileName() + "." + rnd + "-" + TempOwner.tag() + ".tmp");
    }

    /** A temporary name that {@link #tempBeside} makes: {@code .NAME.HEX-PID@HOST.tmp}; group 1 is the owner. */
    private static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.[0-9a-f]+-([0-9]+@[a-z0-9._-]+)\\.tmp");

    /** Folders this process has already cleared of stale temporaries: each is listed once, not on every write. */
    private static final Set<Path> CLEARED = ConcurrentHashMap.newKeySet();

    /**
     * Deletes the temporary files that writers killed before their commit left in {@code dir}: only names this class
     * makes, and only where the owner ran on this host and is gone ({@link TempOwner}). Best effort, once per folder
     * and process.
     */
    static void removeStaleTemporaries(Path dir) {
        if (dir == null || !CLEARED.add(dir)) return;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path p : s) {
                Matcher m = TEMP_NAME.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && TempOwner.isDead(m.group(1))) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            // a folder we cannot list or a file we cannot delete: the write itself reports what matters
        }
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
        removeStaleTemporaries(dir);
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
