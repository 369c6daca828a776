package org.dydit.formats;

import java.util.Locale;

/**
 * Who made a temporary file or folder, written into its name as {@code PID@HOST}, so that a later run can tell a
 * killed run's leftovers from a live run's work: a temporary is stale only when its owner ran on this host and that
 * process is gone. Names without an owner, or from another host (an HDFS folder shared by a cluster), are never
 * judged stale.
 */
public final class TempOwner {
    private TempOwner() {}

    private static final String HOST = host();

    /** This process: {@code PID@HOST}. */
    public static String tag() {
        return ProcessHandle.current().pid() + "@" + HOST;
    }

    /** Whether {@code tag} ({@code PID@HOST}) names a process of this host that no longer runs. */
    public static boolean isDead(String tag) {
        int at = tag.indexOf('@');
        if (at <= 0 || !tag.substring(at + 1).equals(HOST)) return false;
        long pid;
        try {
            pid = Long.parseLong(tag.substring(0, at));
        } catch (NumberFormatException e) {
            return false;
        }
        return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    }

    /** The host name, reduced to characters that are safe in a file name (no '@', '/', '-' is kept). */
    private static String host() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                h = "localhost";
            }
        }
        return h.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "_");
    }
}
