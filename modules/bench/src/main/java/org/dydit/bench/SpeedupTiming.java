package org.dydit.bench;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.dynamic.ForwardStats;
import org.dydit.model.DiTConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.dydit.bench.BenchmarkSupport.allocatedBytes;
import static org.dydit.bench.BenchmarkSupport.jitMillis;
import static org.dydit.bench.BenchmarkSupport.median;
import static org.dydit.bench.BenchmarkSupport.round;
import static org.dydit.bench.BenchmarkSupport.roundAll;

/**
 * The timed part of the speed benchmark at one batch size: untimed warm-up passes over the recorded inputs, then
 * timed repeats in which the dynamic and then the static engine run on each input. Besides the times it keeps,
 * per repeat, each engine's phase seconds, the bytes the JVM allocated and the JIT's compile time, which tell a
 * slow repeat's cause: compiled kernels allocate next to nothing, while kernels whose vector operations the JIT
 * left out of line box every vector (gigabytes per pass), and compiles during a repeat take a core on a small
 * machine.
 */
final class SpeedupTiming {
    /** Untimed passes at most: more are run while a pass spent over {@link #WARM_JIT_SHARE} of its time compiling. */
    static final int MAX_WARMUP = 3;
    static final double WARM_JIT_SHARE = 0.01;

    private final int steps, repeats, batch;
    private final long boxingBytesPerForward;
    private final double[][] tDyn, tStat;
    private final ForwardStats[] stats;
    final List<Map<String, Double>> dynPhases = new ArrayList<>(), statPhases = new ArrayList<>();
    private final double[] allocDyn, allocStat, jitMs;
    private final List<Double> warmJitMs = new ArrayList<>(), warmS = new ArrayList<>();

    private SpeedupTiming(int steps, int repeats, int batch, DiTConfig cfg) {
        this.steps = steps;
        this.repeats = repeats;
        this.batch = batch;
        tDyn = new double[repeats][steps];
        tStat = new double[repeats][steps];
        stats = new ForwardStats[steps];
        allocDyn = new double[repeats];
        allocStat = new double[repeats];
        jitMs = new double[repeats];
        // a compiled forward allocates its adaLN outputs and per-call scratch (DiT-S/2: 1.5 MB at batch 1, 2.2 MB at
        // batch 8); kernels that box their vectors allocate a box of about 96 bytes per vector operation, dozens per
        // 16 floats of every residual row of every layer. The bar: 16 MB plus one box per 16 floats of one pass.
        boxingBytesPerForward = (16L << 20) + 6L * batch * cfg.tokens() * cfg.hiddenSize() * cfg.depth();
    }

    /** Runs the warm-up and {@code repeats} timed repeats over {@code inputs} (one per timestep, descending). */
    static SpeedupTiming measure(DynamicEngine dyn, DynamicEngine stat, float[][] inputs, long[] shape, int[] labels,
                                 int[] timesteps, int repeats, String what, Consumer<String> log) {
        int batch = Math.toIntExact(shape[0]);
        SpeedupTiming m = new SpeedupTiming(timesteps.length, repeats, batch, dyn.config());
        System.gc();   // the chain's garbage is collected now, not during a timed pass
        // the phase clocks run from the first warm-up pass on: switching them on between timed repeats changes the
        // code the JIT compiled inside a timed repeat; each repeat's phases are differences of the running totals
        dyn.profile(true);
        stat.profile(true);
        for (int w = 0; w < MAX_WARMUP; w++) {
            long j0 = jitMillis(), t0 = System.nanoTime();
            m.pass(dyn, stat, inputs, shape, labels, timesteps, -1);
            double s = (System.nanoTime() - t0) / 1e9, jit = jitMillis() - j0;
            m.warmS.add(s);
            m.warmJitMs.add(jit);
            log.accept(String.format("%s: warm-up pass %d: %.3f s, JIT %.0f ms", what, w + 1, s, jit));
            if (jit < WARM_JIT_SHARE * s * 1000) break;
        }
        Map<String, Double> dynBefore = dyn.phaseSeconds(), statBefore = stat.phaseSeconds();
        for (int r = 0; r < repeats; r++) {
            long j0 = jitMillis();
            m.pass(dyn, stat, inputs, shape, labels, timesteps, r);
            m.jitMs[r] = jitMillis() - j0;
            Map<String, Double> dynNow = dyn.phaseSeconds(), statNow = stat.phaseSeconds();
            m.dynPhases.add(minus(dynNow, dynBefore));
            m.statPhases.add(minus(statNow, statBefore));
            dynBefore = dynNow;
            statBefore = statNow;
            log.accept(String.format("%s, repeat %d/%d: static %.3f s, dynamic %.3f s, speedup %.3f, allocated %.0f/%.0f MB,"
                            + " JIT %.0f ms (load %s)", what, r + 1, repeats, sum(m.tStat[r]), sum(m.tDyn[r]),
                    sum(m.tStat[r]) / sum(m.tDyn[r]), m.allocStat[r] / 1e6, m.allocDyn[r] / 1e6, m.jitMs[r],
                    org.dydit.bench.BenchmarkSupport.loadAverage()));
        }
        return m;
    }

    /** One pass over the inputs; repeat r < 0 is untimed. */
    private void pass(DynamicEngine dyn, DynamicEngine stat, float[][] inputs, long[] shape, int[] labels,
                      int[] timesteps, int r) {
        for (int i = 0; i < steps; i++) {
            int[] t = new int[batch];
            Arrays.fill(t, timesteps[i]);
            long a0 = allocatedBytes();
            long t0 = System.nanoTime();
            dyn.forward(inputs[i], shape, t, labels);
            long t1 = System.nanoTime();
            long a1 = allocatedBytes();
            long t2 = System.nanoTime();
            stat.forward(inputs[i], shape, t, labels);
            long t3 = System.nanoTime();
            long a2 = allocatedBytes();
            if (r < 0) continue;
            tDyn[r][i] = (t1 - t0) / 1e9;
            tStat[r][i] = (t3 - t2) / 1e9;
            allocDyn[r] += a1 - a0;
            allocStat[r] += a2 - a1;
            if (r == 0) stats[i] = dyn.lastStats();
        }
    }

    /** Whether some repeat allocated, per forward of either engine, what only boxed vectors account for. */
    boolean boxing() {
        for (int r = 0; r < repeats; r++) {
            if (Math.max(allocDyn[r], allocStat[r]) / steps > boxingBytesPerForward) return true;
        }
        return false;
    }

    double[] statTotals() {
        double[] v = new double[repeats];
        for (int r = 0; r < repeats; r++) v[r] = sum(tStat[r]);
        return v;
    }

    double[] dynTotals() {
        double[] v = new double[repeats];
        for (int r = 0; r < repeats; r++) v[r] = sum(tDyn[r]);
        return v;
    }

    /** Static over dynamic time of each repeat. */
    double[] speedups() {
        double[] s = statTotals(), d = dynTotals(), v = new double[repeats];
        for (int r = 0; r < repeats; r++) v[r] = s[r] / d[r];
        return v;
    }

    /** The median of the repeats' speedups. */
    double speedup() {
        return median(speedups());
    }

    double macs() {
        double m = 0;
        for (ForwardStats s : stats) m += s.macs();
        return m;
    }

    double staticMacs() {
        double m = 0;
        for (ForwardStats s : stats) m += s.staticMacs();
        return m;
    }

    double flopsRatio() {
        return macs() / staticMacs();
    }

    /** Per timed step: its FLOPs ratio, mean active heads and groups, kept-token share and speedup (medians). */
    List<Map<String, Object>> perStep(int[] timesteps) {
        List<Map<String, Object>> perStep = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            ForwardStats s = stats[i];
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("t", timesteps[i]);
            m.put("flops_ratio", round(s.flopsRatio(), 4));
            m.put("heads_mean", round(mean(s.heads()), 3));
            m.put("groups_mean", round(mean(s.groups()), 3));
            m.put("tokens_kept", round(mean(s.tokenFraction()), 3));
            double[] d = new double[repeats], st = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                d[r] = tDyn[r][i];
                st[r] = tStat[r][i];
            }
            m.put("speedup", round(median(st) / median(d), 3));
            perStep.add(m);
        }
        return perStep;
    }

    /** Every repeat's numbers and the warm-up's, for reading a slow repeat or run. */
    void putRepeats(Map<String, Object> out) {
        out.put("static_s_all", roundAll(statTotals(), 4));
        out.put("dynamic_s_all", roundAll(dynTotals(), 4));
        List<Map<String, Double>> ps = new ArrayList<>(), pd = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            ps.add(round4(statPhases.get(r)));
            pd.add(round4(dynPhases.get(r)));
        }
        out.put("phase_s_static_all", ps);
        out.put("phase_s_dynamic_all", pd);
        out.put("allocated_mb_static_all", roundAll(scale(allocStat, 1e-6), 1));
        out.put("allocated_mb_dynamic_all", roundAll(scale(allocDyn, 1e-6), 1));
        out.put("jit_ms_all", roundAll(jitMs, 0));
        out.put("warmup_s_all", roundAll(warmS.stream().mapToDouble(Double::doubleValue).toArray(), 3));
        out.put("warmup_jit_ms_all", roundAll(warmJitMs.stream().mapToDouble(Double::doubleValue).toArray(), 0));
    }

    private static Map<String, Double> minus(Map<String, Double> a, Map<String, Double> b) {
        Map<String, Double> m = new LinkedHashMap<>();
        a.forEach((k, v) -> m.put(k, v - b.getOrDefault(k, 0.0)));
        return m;
    }

    private static Map<String, Double> round4(Map<String, Double> m) {
        Map<String, Double> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(k, round(v, 4)));
        return r;
    }

    private static double[] scale(double[] v, double f) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i] * f;
        return r;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }

    private static double mean(double[] v) {
        return sum(v) / v.length;
    }
}
