package org.dydit.formats;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes go to a temp file beside the target and are renamed over it only when complete, so a crash or a
 * bad tensor never leaves a half-written file under the real name or damages the previous version.
 */
final class AtomicFile {
    interface Body {
        void write(FileChannel ch) throws IOException;
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

    static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = tempBeside(abs);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }
}
