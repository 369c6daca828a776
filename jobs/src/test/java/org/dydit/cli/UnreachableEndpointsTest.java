package org.dydit.cli;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Spark master or HDFS namenode that refuses connections: one line naming the master or URL, exit 1, within 10 s
 * (Spark used to retry for 65 s with 108 lines of stack trace; Hadoop said "Connection refused" without the URL).
 * Only 127.0.0.1 is ever contacted.
 */
class UnreachableEndpointsTest {
    /** A port of 127.0.0.1 that nothing listens on: one the system just gave out and we closed again. */
    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static void assertOneLineFailure(Cli r, long startNanos, String names) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(seconds < 10, "took " + seconds + " s: " + r);
        assertTrue(r.err().contains(names), () -> "names " + names + ": " + r);
        assertTrue(r.err().contains("refused"), r::toString);
        assertEquals(1, r.err().strip().lines().count(), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }

    @Test
    void sparkCheckNamesARefusingMaster() throws Exception {
        String master = "spark://127.0.0.1:" + closedPort();
        String before = System.getProperty("spark.master");
        System.setProperty("spark.master", master);     // what spark-submit --master sets
        try {
            long t0 = System.nanoTime();
            Cli r = Cli.run("spark-check", "--tasks", "1");
            assertOneLineFailure(r, t0, "Spark master " + master);
        } finally {
            if (before == null) System.clearProperty("spark.master");
            else System.setProperty("spark.master", before);
        }
    }

    @Test
    void prepNamesTheHdfsUrlOfARefusingNamenode() throws Exception {
        String out = "hdfs://127.0.0.1:" + closedPort() + "/x";
        long t0 = System.nanoTime();
        Cli r = Cli.run("prep", "fmnist", "--out", out, "--limit", "10");
        assertOneLineFailure(r, t0, "--out " + out);
        String in = "hdfs://127.0.0.1:" + closedPort() + "/images";
        t0 = System.nanoTime();
        Cli i = Cli.run("prep", "images", "--in", in, "--out", "/tmp/never-written-by-this-test");
        assertOneLineFailure(i, t0, "--in " + in);
    }
}
