package org.dydit.formats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A write either replaces the whole file or leaves the old one, and never leaves its temporary file behind. */
class AtomicFileTest {
    @TempDir
    Path tmp;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path f = tmp.resolve("sub/a.json");
        AtomicFile.writeString(f, "{\"v\": 1}\n");
        assertEquals("{\"v\": 1}\n", Files.readString(f));
        AtomicFile.writeStream(f, out -> {
            for (int i = 0; i < 100_000; i++) out.write('x');   // past the stream's buffer
        });
        assertEquals(100_000, Files.size(f));
        try (Stream<Path> s = Files.list(f.getParent())) {
            assertEquals(List.of("a.json"), s.map(p -> p.getFileName().toString()).toList());
        }
        // the usual permissions (umask), not a temp file's owner-only 0600
        Path plain = Files.createFile(f.resolveSibling("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(f));
    }

    @Test
    void aFailedBodyLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = tmp.resolve("a.bin");
        AtomicFile.writeBytes(f, new byte[] {1, 2, 3});
        IOException e = assertThrows(IOException.class, () -> AtomicFile.writeStream(f, out -> {
            out.write(new byte[1 << 20]);
            throw new IOException("bad input");
        }));
        assertEquals("bad input", e.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
        assertThrows(IllegalStateException.class, () -> AtomicFile.write(f, ch -> {
            throw new IllegalStateException("crash");
        }));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
        assertEquals(List.of("a.bin"), names());

        AtomicFile.writeString(tmp.resolve("new.txt"), "x");
        assertThrows(IOException.class, () -> AtomicFile.writeStream(tmp.resolve("never.txt"), out -> {
            out.write("half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("stop");
        }));
        assertFalse(Files.exists(tmp.resolve("never.txt")));
        assertEquals(List.of("a.bin", "new.txt"), names());
    }

    @Test
    void aPendingFileAppearsOnlyOnCommit() throws IOException {
        Path f = tmp.resolve("c.npz");
        try (AtomicFile.Pending p = AtomicFile.open(f)) {
            OutputStream out = p.stream();
            assertSame(out, p.stream());
            out.write(7);
            out.close();   // the stream's close keeps the file open
            out.write(8);
            assertFalse(Files.exists(f));
            p.commit();
        }
        assertArrayEquals(new byte[] {7, 8}, Files.readAllBytes(f));

        try (AtomicFile.Pending p = AtomicFile.open(f)) {
            p.stream().write(9);
        }   // closed without commit: discarded
        assertArrayEquals(new byte[] {7, 8}, Files.readAllBytes(f));
        assertEquals(List.of("c.npz"), names());
    }

    /** A killed writer's temporary (owner on this host, gone) is removed by the next write into its folder; no other. */
    @Test
    void theFirstWriteIntoAFolderRemovesKilledWritersTemporaries() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        String host = TempOwner.tag().substring(TempOwner.tag().indexOf('@') + 1);
        String stale = ".a.bin.0123abcd-" + p.pid() + "@" + host + ".tmp";
        List<String> kept = List.of(
                ".a.bin.4567ef01-" + TempOwner.tag() + ".tmp",          // a live writer: this process
                ".a.bin.89abcdef-" + p.pid() + "@other-" + host + ".tmp",   // another host's
                ".a.bin.1234.tmp",                                       // no owner recorded
                "notes.tmp");                                            // not a name we make
        Files.write(tmp.resolve(stale), new byte[]{1});
        for (String k : kept) Files.write(tmp.resolve(k), new byte[]{2});
        AtomicFile.writeString(tmp.resolve("b.txt"), "x");
        List<String> want = new java.util.ArrayList<>(kept);
        want.add("b.txt");
        assertEquals(want.stream().sorted().toList(), names());
    }
}
