package org.dydit.prep.dataset;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A driver-side progress line ("done of total, rate, ETA") printed every few seconds while Spark works.
 * The count comes from an accumulator, which Spark merges when each task ends, so it moves in steps of
 * one task's items.
 */
public final class Progress implements AutoCloseable {
    private final String what;
    private final String unit;
    private final long total;
    private final LongSupplier done;
    private final PrintStream out;
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean closed;

    public Progress(String what, String unit, long total, LongSupplier done, PrintStream out, long intervalMillis) {
        this.what = what;
        this.unit = unit;
        this.total = total;
        this.done = done;
        this.out = out;
        this.thread = new Thread(() -> {
            while (!closed) {
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
                if (!closed) out.println(line());
            }
        }, "dydit-progress");
        thread.setDaemon(true);
        thread.start();
    }

    /** The current line, for example {@code "prep images: 1200/5000 files (24.0%), 35.2 files/s, ETA 1m48s"}. */
    public String line() {
        long d = Math.min(done.getAsLong(), total);
        double secs = (System.nanoTime() - startNanos) / 1e9;
        double rate = secs > 0 ? d / secs : 0;
        String eta = d >= total ? "done" : rate > 0 ? "ETA " + duration((total - d) / rate) : "ETA unknown";
        double pct = total > 0 ? 100.0 * d / total : 100.0;
        return String.format(Locale.ROOT, "%s: %d/%d %s (%.1f%%), %.1f %s/s, %s, elapsed %s",
                what, d, total, unit, pct, rate, unit, eta, duration(secs));
    }

    static String duration(double secs) {
        long s = Math.round(secs);
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        out.println(line());
    }
}
