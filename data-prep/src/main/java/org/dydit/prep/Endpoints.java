package org.dydit.prep;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A quick look at the network endpoints a job names (a Spark master, an HDFS namenode) before Spark or Hadoop starts:
 * one TCP connect with a short timeout. Spark retries an unreachable master for about a minute and Hadoop's IPC client
 * retries a namenode, each with pages of stack traces, and their last word ("Connection refused") names neither the
 * master nor the URL; this fails in seconds with one line naming both.
 */
public final class Endpoints {
    private Endpoints() {}

    /** Connect timeout of the probe: a live master or namenode on any network answers well within it. */
    public static final int TIMEOUT_MS = 3000;

    static final int SPARK_MASTER_PORT = 7077;
    static final int HDFS_NAMENODE_PORT = 8020;

    /**
     * A {@code spark://host:port[,host:port...]} master (standalone, with standby masters) must accept a connection on
     * at least one of its addresses; other masters (local, local-cluster, yarn, k8s) are not probed.
     */
    public static void requireSparkMaster(String master) throws IOException {
        if (master == null || !master.startsWith("spark://")) return;
        List<String> problems = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            String problem = probe(hostPort.trim(), SPARK_MASTER_PORT);
            if (problem == null) return;
            problems.add(problem);
        }
        throw new IOException("cannot reach the Spark master " + master + ": " + String.join("; ", problems));
    }

    /**
     * The namenode of an {@code hdfs://host[:port]/...} path given as {@code option} must accept a connection; local
     * paths, other file systems and logical (HA) nameservices, which only Hadoop's configuration resolves, are not
     * probed.
     */
    public static void requireHdfs(String option, String path) throws IOException {
        if (path == null) return;
        URI uri;
        try {
            uri = new URI(path);
        } catch (java.net.URISyntaxException e) {
            return;     // not a URI: a local path, which Hadoop reports itself
        }
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("hdfs") || uri.getHost() == null) return;
        String hostPort = uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
        String problem = probe(hostPort, HDFS_NAMENODE_PORT);
        if (problem != null) throw new IOException(option + " " + path + ": cannot reach its namenode: " + problem);
    }

    /** null when {@code host[:port]} accepts a TCP connection (or the host has no address here), else what went wrong. */
    static String probe(String hostPort, int defaultPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon >= 0 ? hostPort.substring(0, colon) : hostPort;
        int port;
        try {
            port = colon >= 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : defaultPort;
        } catch (NumberFormatException e) {
            return null;    // not host:port; leave it to Spark or Hadoop
        }
        InetSocketAddress addr = new InetSocketAddress(host, port);
        if (addr.isUnresolved()) return null;   // a name only the cluster's configuration knows
        try (Socket s = new Socket()) {
            s.connect(addr, TIMEOUT_MS);
            return null;
        } catch (SocketTimeoutException e) {
            return "no answer from " + host + ":" + port + " within " + TIMEOUT_MS / 1000 + " s";
        } catch (UnknownHostException e) {
            return null;
        } catch (IOException e) {
            return "connecting to " + host + ":" + port + ": " + e.getMessage();
        }
    }
}
