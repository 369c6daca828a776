package org.dydit.formats;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a whole folder (a model folder, a checkpoint) so that readers see either the old folder or the complete
 * new one: the content goes into a hidden temporary folder beside the target, which is renamed into place only
 * when the writer returned; a failed write leaves the old folder untouched and no temporary behind.
 */
public final class AtomicFolder {
    private AtomicFolder() {}

    /** Fills the temporary folder. */
    @FunctionalInterface
    public interface Writer {
        void writeInto(Path tmp) throws IOException;
    }

    public static void replace(Path folder, Writer writer) throws IOException {
        Path target = folder.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        // Not createTempDirectory: its 0700 would survive the rename and lock other users and executors out.
        Path tmp = Files.createDirectory(parent.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID()));
        Path old = null;
        boolean done = false;
        try {
            writer.writeInto(tmp);
            if (Files.exists(target)) {
                old = parent.resolve("." + target.getFileName() + ".old-" + UUID.randomUUID());
                move(target, old);
            }
            try {
                move(tmp, target);
            } catch (IOException e) {
                if (old != null) move(old, target);
                old = null;
                throw e;
            }
            done = true;
        } finally {
            if (!done) deleteTree(tmp);
            if (old != null && done) deleteTree(old);
        }
    }

    /**
     * Replacing swaps whole folders, so an existing {@code target} may only hold what the writer itself writes
     * ({@code ours} accepts a plain file's name): anything else, or a target that is not a folder, is an IOException
     * naming it, so a user's folder named by mistake is refused rather than deleted. A missing or empty target is fine.
     * {@code kind} names what the writer writes ("a model folder (config.json, model.safetensors)").
     */
    public static void requireReplaceable(Path target, String kind, java.util.function.Predicate<String> ours) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        if (!Files.exists(t)) return;
        if (!Files.isDirectory(t)) throw new IOException("refusing to replace " + t + ": it exists and is not a folder");
        try (Stream<Path> s = Files.list(t)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (!Files.isRegularFile(p) || !ours.test(n)) {
                    throw new IOException("refusing to replace " + t + ": it holds " + n + ", which is not part of " + kind);
                }
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Deletes a folder and everything in it; a missing folder is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }
}
