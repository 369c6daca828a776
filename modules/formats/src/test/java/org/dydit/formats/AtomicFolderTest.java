package org.dydit.formats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AtomicFolder}: a replace leaves no temporaries; {@code cleanStale} removes only a dead writer's, and restores its old folder. */
class AtomicFolderTest {

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void replaceLeavesOnlyTheTarget(@TempDir Path tmp) throws Exception {
        Path ck = tmp.resolve("ck");
        AtomicFolder.replace(ck, t -> Files.writeString(t.resolve("a"), "1"));
        AtomicFolder.replace(ck, t -> Files.writeString(t.resolve("a"), "2"));
        assertEquals("2", Files.readString(ck.resolve("a")));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("ck"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void cleanStaleRemovesOnlyWhatDeadWritersLeft(@TempDir Path tmp) throws Exception {
        Path ck = Files.createDirectories(tmp.resolve("ck"));
        long dead = deadPid();
        Path staleTmp = Files.createDirectories(tmp.resolve(".ck.tmp-" + dead + "-" + UUID.randomUUID()));
        Path staleOld = Files.createDirectories(tmp.resolve(".ck.old-" + dead + "-" + UUID.randomUUID()));
        Path live = Files.createDirectories(tmp.resolve(".ck.tmp-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID()));
        Path other = Files.createDirectories(tmp.resolve(".ck.tmp-" + UUID.randomUUID()));
        Path otherTarget = Files.createDirectories(tmp.resolve(".cka.tmp-" + dead + "-" + UUID.randomUUID()));
        List<String> done = AtomicFolder.cleanStale(ck);
        assertEquals(2, done.size(), done.toString());
        assertFalse(Files.exists(staleTmp));
        assertFalse(Files.exists(staleOld), "the target exists, so the old folder is garbage");
        assertTrue(Files.isDirectory(live) && Files.isDirectory(other) && Files.isDirectory(otherTarget) && Files.isDirectory(ck));
    }

    @Test
    void aWriterKilledBetweenItsRenamesGetsItsOldFolderBack(@TempDir Path tmp) throws Exception {
        Path ck = tmp.resolve("ck");
        Path old = Files.createDirectories(tmp.resolve(".ck.old-" + deadPid() + "-" + UUID.randomUUID()));
        Files.writeString(old.resolve("train_state.json"), "{}");
        AtomicFolder.cleanStale(ck);
        assertEquals("{}", Files.readString(ck.resolve("train_state.json")));
        assertFalse(Files.exists(old));
    }

    @Test
    void replaceInPlaceKeepsTheFolderAndEveryFilePresentThroughout(@TempDir Path tmp) throws Exception {
        Path ck = tmp.resolve("ck");
        AtomicFolder.replaceInPlace(ck, "state.json", t -> {
            Files.createDirectories(t.resolve("model"));
            Files.writeString(t.resolve("model/weights"), "w1");
            Files.writeString(t.resolve("schedule.json"), "s1");
            Files.writeString(t.resolve("state.json"), "1");
        });
        assertEquals("1", Files.readString(ck.resolve("state.json")));
        List<String> seen = new java.util.ArrayList<>();
        AtomicFolder.afterEachMove = () -> {
            try {
                // after every rename: the folder and each file a reader needs exist, whole, old or new
                String w = Files.readString(ck.resolve("model/weights")), s = Files.readString(ck.resolve("state.json"));
                assertTrue(w.equals("w1") || w.equals("w2"), w);
                seen.add(w + s);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try {
            AtomicFolder.replaceInPlace(ck, "state.json", t -> {
                Files.createDirectories(t.resolve("model"));
                Files.writeString(t.resolve("model/weights"), "w2");
                Files.writeString(t.resolve("state.json"), "2");
            });
        } finally {
            AtomicFolder.afterEachMove = null;
        }
        assertEquals(List.of("w21", "w22"), seen, "the weights first, the state named last after them");
        assertEquals("2", Files.readString(ck.resolve("state.json")));
        assertFalse(Files.exists(ck.resolve("schedule.json")), "a file the new content lacks is removed");
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("ck"), s.map(p -> p.getFileName().toString()).toList(), "no temporary left");
        }
    }

    @Test
    void aWriterKilledDuringInPlaceRenamesIsFinishedByCleanStale(@TempDir Path tmp) throws Exception {
        Path ck = Files.createDirectories(tmp.resolve("ck"));
        Files.writeString(ck.resolve("a"), "old");
        Files.writeString(ck.resolve("state.json"), "old");
        // a complete, marked temporary of a dead writer that had moved nothing yet
        Path left = Files.createDirectories(tmp.resolve(".ck.tmp-" + deadPid() + "-" + UUID.randomUUID()));
        Files.writeString(left.resolve("a"), "new");
        Files.writeString(left.resolve("state.json"), "new");
        Files.writeString(left.resolve(AtomicFolder.COMPLETE), "state.json");
        AtomicFolder.cleanStale(ck);
        assertEquals("new", Files.readString(ck.resolve("a")));
        assertEquals("new", Files.readString(ck.resolve("state.json")));
        assertFalse(Files.exists(left));
    }
}
