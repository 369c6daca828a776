package org.dydit.prep.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.dydit.formats.TempOwner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A killed prep run leaves {@code .NAME.incomplete-*}: the next run for NAME removes those whose owner ran on this host
 * and is gone, and nothing else.
 */
class StaleTemporariesTest {
    @TempDir
    java.nio.file.Path tmp;

    /** The pid of a process that has exited. */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void removesOnlyOurStaleFoldersOfTheSameOutput() throws Exception {
        String host = TempOwner.tag().substring(TempOwner.tag().indexOf('@') + 1);
        long dead = deadPid();
        String stale = ".ds.incomplete-0a1b2c3d-" + dead + "@" + host;
        List<String> kept = List.of(
                ".ds.incomplete-11112222-" + TempOwner.tag(),            // a live run: this process
                ".ds.incomplete-33334444-" + dead + "@another-host",     // another host's run (shared HDFS)
                ".ds.incomplete-55556666",                               // no owner recorded
                ".other.incomplete-77778888-" + dead + "@" + host,       // another output's
                "ds");                                                   // the output itself
        Files.createDirectories(tmp.resolve(stale).resolve("_chunks"));
        Files.writeString(tmp.resolve(stale).resolve("_chunks/part"), "x");
        for (String k : kept) Files.createDirectories(tmp.resolve(k));

        Configuration conf = new Configuration();
        Path out = new Path(tmp.toUri().toString(), "ds");
        FileSystem fs = Storage.fs(out, conf);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        DatasetWriter.removeStaleTemporaries(fs, fs.makeQualified(out), new PrintStream(log, true));
        try (Stream<java.nio.file.Path> s = Files.list(tmp)) {
            assertEquals(kept.stream().sorted().toList(), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(log.toString().contains(stale), log.toString());
    }

    @Test
    void ownersAreDeadOnlyOnThisHostAndWhenGone() throws Exception {
        String host = TempOwner.tag().substring(TempOwner.tag().indexOf('@') + 1);
        assertEquals(false, TempOwner.isDead(TempOwner.tag()));
        assertEquals(true, TempOwner.isDead(deadPid() + "@" + host));
        assertEquals(false, TempOwner.isDead(deadPid() + "@not-" + host));
        assertEquals(false, TempOwner.isDead("55556666"));
        assertEquals(false, TempOwner.isDead("x@" + host));
    }
}
