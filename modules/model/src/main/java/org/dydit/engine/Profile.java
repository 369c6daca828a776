package org.dydit.engine;

/**
 * Wall time per phase of the engine's step (gemm, attention, element-wise, DyDiT's routers, optimizer),
 * accumulated while enabled. The benchmark reads it to report where a step's time goes.
 */
public final class Profile {
    public enum Phase { GEMM, ATTENTION, ELEMENTWISE, ROUTERS, OPTIMIZER, OTHER }

    private final long[] ns = new long[Phase.values().length];
    private boolean enabled;
    private long mark;

    public void enable(boolean on) {
        enabled = on;
    }

    public void reset() {
        java.util.Arrays.fill(ns, 0);
    }

    /** Starts timing the next section. */
    public void start() {
        if (enabled) mark = System.nanoTime();
    }

    /** Charges the time since {@link #start} (or the previous lap) to {@code p}. */
    public void lap(Phase p) {
        if (!enabled) return;
        long now = System.nanoTime();
        ns[p.ordinal()] += now - mark;
        mark = now;
    }

    public double seconds(Phase p) {
        return ns[p.ordinal()] / 1e9;
    }
}
