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
 *
 * <p>The temporaries are named {@code .NAME.tmp-PID-UUID} (the new content) and {@code .NAME.old-PID-UUID} (the
 * old folder between the two renames), with the id of the writing process, so that {@link #cleanStale} can tell
 * the leftovers of a killed writer from those of one still running.
 *
 * <p>{@link #replace} swaps the whole folder with two renames, so for an instant the folder is absent;
 * {@link #replaceInPlace} keeps it and each of its files present throughout (training checkpoints use it).
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
        Path tmp = Files.createDirectory(parent.resolve(temporaryName(target, TMP)));
        Path old = null;
        boolean done = false;
        try {
            writer.writeInto(tmp);
            if (Files.exists(target)) {
                old = parent.resolve(temporaryName(target, OLD));
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

    /** Inside a temporary of {@link #replaceInPlace}: written once the new content is complete; holds the name moved last. */
    static final String COMPLETE = ".dydit-complete";

    /**
     * Replaces the content of {@code folder} so that the folder and each of its files exist throughout: the new
     * content is written into a hidden temporary beside it, as {@link #replace} does, then each new file is renamed
     * over the file of the same name in {@code folder} (one atomic rename a file; subfolders file by file),
     * {@code last} (a name relative to the folder) after all the others, and the files the new content lacks are
     * removed. A reader sees every file whole, old or new; a writer killed during the renames leaves its complete,
     * marked temporary, which {@link #cleanStale} finishes. An absent folder is created by one rename.
     */
    public static void replaceInPlace(Path folder, String last, Writer writer) throws IOException {
        Path target = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            replace(target, writer);
            return;
        }
        Path tmp = Files.createDirectory(target.getParent().resolve(temporaryName(target, TMP)));
        try {
            writer.writeInto(tmp);
            AtomicFile.writeString(tmp.resolve(COMPLETE), last);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
        finish(tmp, target, last);
    }

    /** Test hook: runs after each rename of {@link #finish}. */
    static volatile Runnable afterEachMove = null;

    /** Moves the files of the complete temporary {@code tmp} over those of {@code target}, {@code last} last, then tidies. */
    private static void finish(Path tmp, Path target, String last) throws IOException {
        java.util.List<Path> files = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.walk(tmp)) {
            s.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).map(tmp::relativize)
                    .filter(r -> !r.toString().equals(COMPLETE)).sorted().forEach(files::add);
        }
        Path lastRel = Path.of(last);
        if (files.remove(lastRel)) files.add(lastRel);
        java.util.Set<Path> keep = new java.util.HashSet<>(files);
        for (Path rel : files) {
            Path to = target.resolve(rel);
            Files.createDirectories(to.getParent());
            if (Files.isDirectory(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) deleteTree(to);
            Files.move(tmp.resolve(rel), to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Runnable hook = afterEachMove;
            if (hook != null) hook.run();
        }
        try (Stream<Path> s = Files.walk(target)) {
            java.util.List<Path> stale = s.filter(p -> !p.equals(target)).sorted(Comparator.reverseOrder()).toList();
            for (Path p : stale) {
                Path rel = target.relativize(p);
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    if (keep.stream().noneMatch(k -> k.startsWith(rel))) deleteTree(p);
                } else if (!keep.contains(rel)) {
                    Files.delete(p);
                }
            }
        }
        deleteTree(tmp);
    }

    private static final String TMP = ".tmp-", OLD = ".old-";

    private static String temporaryName(Path target, String kind) {
        return "." + target.getFileName() + kind + ProcessHandle.current().pid() + "-" + UUID.randomUUID();
    }

    /**
     * Removes what killed writers of {@code folder} left beside it: the temporaries {@link #replace} names with a
     * process id that no longer runs. Nothing else is touched: not the temporaries of a live process, not other
     * names. When the writer died between its two renames, {@code folder} is missing and its old content waits
     * under the {@code .old-} name: that is moved back, not deleted. Returns the names removed or restored.
     */
    public static java.util.List<String> cleanStale(Path folder) throws IOException {
        Path target = folder.toAbsolutePath().normalize();
        Path parent = target.getParent();
        java.util.List<String> done = new java.util.ArrayList<>();
        if (parent == null || !Files.isDirectory(parent)) return done;
        String base = "." + target.getFileName();
        java.util.List<Path> stale = new java.util.ArrayList<>();
        try (Stream<Path> s = Files.list(parent)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                String kind = n.startsWith(base + TMP) ? TMP : n.startsWith(base + OLD) ? OLD : null;
                if (kind == null || !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                String rest = n.substring(base.length() + kind.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(rest.substring(0, Math.max(dash, 0)));
                    UUID.fromString(rest.substring(dash + 1));
                } catch (RuntimeException e) {
                    continue;   // not a name this class writes
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                stale.add(p);
            }
        }
        for (Path p : stale) {
            String n = p.getFileName().toString();
            if (n.startsWith(base + OLD) && !Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                move(p, target);
                done.add(n + " (restored as " + target.getFileName() + ")");
            } else if (n.startsWith(base + TMP) && Files.isRegularFile(p.resolve(COMPLETE))
                    && Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                // killed during the renames of replaceInPlace: its content is complete, finish them
                finish(p, target, Files.readString(p.resolve(COMPLETE)).trim());
                done.add(n + " (its renames into " + target.getFileName() + " finished)");
            } else {
                deleteTree(p);
                done.add(n);
            }
        }
        return done;
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
