package org.dydit.bench;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.dynamic.ForwardStats;
import org.dydit.kernels.Vec;
import org.dydit.sample.TrajectoryInputs;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.NoiseSource;
import org.dydit.kernels.Par;
import org.dydit.kernels.VecMath;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.dydit.bench.BenchmarkSupport.gemmReference;
import static org.dydit.bench.BenchmarkSupport.loadAverage;
import static org.dydit.bench.BenchmarkSupport.median;
import static org.dydit.bench.BenchmarkSupport.round;
import static org.dydit.bench.BenchmarkSupport.roundAll;

/**
 * The sampling speed benchmark behind {@code dydit bench speedup}: the dynamic engine against the static engine
 * (the same code at full width, every token) on DDPM-250 without guidance, timing every 25th of the 250 steps,
 * both engines in one process on the same inputs, repeated.
 *
 * <p>The timed steps' inputs come from one whole DDPM-250 chain sampled with the dynamic model (seeded noise, fixed
 * labels), so the token routers see the inputs of a real trajectory; the timed repeats replay those inputs, and at
 * every timed step the static engine runs on the same input right after the dynamic one. {@code flops_ratio}
 * counts the MACs of the decisions actually taken, routers included; {@code static_fraction_of_peak} compares the static forward's GFLOP/s (2 FLOPs per
 * MAC) with the best float32 2048x384x1536 gemm into a preallocated output, measured before and after the runs
 * (best kept), as the training benchmark does.
 */
public final class SpeedupBenchmark {
    private SpeedupBenchmark() {}

    /** Respaced indices timed: every {@code stride}-th of {@code steps}, from the first step taken (k = steps-1). */
    public static int[] timedTimesteps(int steps, int stride) {
        GaussianDiffusion g = GaussianDiffusion.create(Integer.toString(steps));
        List<Integer> t = new ArrayList<>();
        for (int k = steps - 1; k >= 0; k -= stride) t.add(g.originalTimestep(k));
        return t.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Runs the benchmark on {@code model} (a DyDiT) at batch {@code batch}; returns the JSON fields in order.
     * {@code modelNote} says where the model came from.
     */
    public static Map<String, Object> run(DiTModel model, String modelNote, double lambda, int batch, int repeats,
                                          int[] timesteps, long seed, Consumer<String> log) {
        return run(model, modelNote, lambda, batch, repeats, 250, timesteps, seed, log);
    }

    /**
     * As above on a DDPM chain of {@code chainSteps} respaced steps; {@code timesteps} must be original timesteps of
     * that chain.
     */
    public static Map<String, Object> run(DiTModel model, String modelNote, double lambda, int batch, int repeats,
                                          int chainSteps, int[] timesteps, long seed, Consumer<String> log) {
        if (batch < 1) throw new IllegalArgumentException("batch must be positive: " + batch);
        if (repeats < 1) throw new IllegalArgumentException("repeats must be positive: " + repeats);
        DiTConfig cfg = model.config();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "speedup");
        out.put("model", modelNote);
        out.put("batch", batch);
        out.put("lambda", lambda);
        out.put("sampler", "ddpm" + chainSteps + ", no guidance, " + timesteps.length + " steps timed on the chain's own inputs");
        out.put("timed_timesteps", timesteps);
        out.put("repeats", repeats);
        out.put("load_avg_start", loadAverage());
        log.accept("gemm reference: 2048x384x1536 float32 into preallocated C- and F-order outputs");
        double[] gemm = gemmReference();

        // one full DDPM chain (the respaced process the timed timesteps come from), driven by the dynamic model: its
        // inputs at the timed steps are recorded and replayed to both engines in the timed repeats
        int[] kept = timesteps.clone();
        Arrays.sort(kept);
        GaussianDiffusion full = GaussianDiffusion.create(Integer.toString(chainSteps));
        AncestralSampler sampler = new AncestralSampler(full);
        NoiseSource noise = NoiseSource.seeded(seed);
        long[] shape = {batch, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
        int[] labels = new int[batch];
        for (int b = 0; b < batch; b++) labels[b] = (int) Math.floorMod(seed * 31 + b * 7919L, cfg.numClasses());

        int steps = kept.length;
        double[][] tDyn = new double[repeats][steps], tStat = new double[repeats][steps];
        ForwardStats[] stats = new ForwardStats[steps];
        Map<String, Double> dynPhases, statPhases;
        try (DynamicEngine dyn = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC);
             DynamicEngine stat = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
            int[] all = new int[full.numTimesteps()];
            for (int k = 0; k < all.length; k++) all[k] = full.originalTimestep(k);
            dyn.prepare(all);
            log.accept("DDPM-" + chainSteps + " chain with the dynamic model (" + dyn.slicesBuilt()
                    + " sliced weight sets); its inputs at the " + steps + " timed steps are kept");
            int[] descending = new int[steps];
            for (int i = 0; i < steps; i++) descending[i] = kept[steps - 1 - i];
            // the static engine also runs (untimed) at the kept steps, so both are warm when the timing starts
            float[][] inputs = TrajectoryInputs.record(dyn, sampler, noise, shape, labels, descending,
                    (x, t) -> stat.forward(x, shape, t, labels), log);
            System.gc();   // the chain's garbage is collected now, not during a timed pass
            // one untimed pass over the timed steps first: the chain ran the static engine only at these steps, and
            // the first pass after it gave a 3-5% lower speedup than the next ones (GC after the chain, JIT)
            // the phase clocks run from the untimed pass on (switching them on between timed repeats changes the
            // code the JIT compiled inside a timed repeat) and are reset before the first timed repeat
            for (int r = -1; r < repeats; r++) {
                if (r <= 0) {
                    dyn.profile(true);
                    stat.profile(true);
                }
                for (int i = 0; i < steps; i++) {
                    int[] t = new int[batch];
                    Arrays.fill(t, kept[steps - 1 - i]);
                    long t0 = System.nanoTime();
                    dyn.forward(inputs[i], shape, t, labels);
                    long t1 = System.nanoTime();
                    stat.forward(inputs[i], shape, t, labels);
                    long t2 = System.nanoTime();
                    if (r < 0) continue;
                    tDyn[r][i] = (t1 - t0) / 1e9;
                    tStat[r][i] = (t2 - t1) / 1e9;
                    if (r == 0) stats[i] = dyn.lastStats();
                }
                if (r < 0) continue;
                log.accept(String.format("repeat %d/%d: static %.3f s, dynamic %.3f s, speedup %.3f (load %s)", r + 1, repeats,
                        sum(tStat[r]), sum(tDyn[r]), sum(tStat[r]) / sum(tDyn[r]), loadAverage()));
            }
            dynPhases = perRepeat(dyn.phaseSeconds(), repeats);
            statPhases = perRepeat(stat.phaseSeconds(), repeats);
        }
        // the reference again after the runs, best kept: one reading taken during a load burst would understate it
        double[] again = gemmReference();
        gemm[0] = Math.max(gemm[0], again[0]);
        gemm[1] = Math.max(gemm[1], again[1]);
        double peak = Math.max(gemm[0], gemm[1]);
        double macs = 0, staticMacs = 0;
        List<Map<String, Object>> perStep = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            ForwardStats s = stats[i];
            macs += s.macs();
            staticMacs += s.staticMacs();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("t", kept[steps - 1 - i]);
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
        double[] speedups = new double[repeats], statTotals = new double[repeats], dynTotals = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            statTotals[r] = sum(tStat[r]);
            dynTotals[r] = sum(tDyn[r]);
            speedups[r] = statTotals[r] / dynTotals[r];
        }
        double ratio = macs / staticMacs;
        double speedup = median(speedups);
        double staticGflops = 2 * staticMacs / median(statTotals) / 1e9;
        out.put("flops_ratio", round(ratio, 4));
        out.put("speedup", round(speedup, 3));
        out.put("efficiency", round(speedup * ratio, 3));
        out.put("static_fraction_of_peak", round(staticGflops / peak, 3));
        out.put("speedup_all", roundAll(speedups, 3));
        out.put("static_s_per_step", round(median(statTotals) / steps, 4));
        out.put("dynamic_s_per_step", round(median(dynTotals) / steps, 4));
        out.put("static_gflops", round(staticGflops, 1));
        out.put("dynamic_gflops_effective", round(2 * macs / median(dynTotals) / 1e9, 1));
        out.put("gemm_gflops", round(peak, 1));
        out.put("gemm_gflops_c_order", round(gemm[0], 1));
        out.put("gemm_gflops_f_order", round(gemm[1], 1));
        out.put("static_gmacs_per_sample", round(staticMacs / steps / batch / 1e9, 3));
        out.put("phase_s_static", roundMap(statPhases));
        out.put("phase_s_dynamic", roundMap(dynPhases));
        out.put("steps", perStep);
        out.put("load_avg_end", loadAverage());
        out.put("threads", Par.threads());   // what the kernels and the split products run on
        String wait = System.getenv("OMP_WAIT_POLICY");
        out.put("omp_wait_policy", wait == null ? "unset" : wait);
        out.put("product_call", "matmul op, native context kept per (input, weight, output), rows split over the kernel threads");
        out.put("vector_kernels", Vec.ON);
        out.put("vector_helpers_inlined", VecMath.forcedInline());
        return out;
    }

    private static Map<String, Double> perRepeat(Map<String, Double> total, int repeats) {
        Map<String, Double> m = new LinkedHashMap<>();
        total.forEach((k, v) -> m.put(k, v / repeats));
        return m;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }

    private static double mean(double[] v) {
        return sum(v) / v.length;
    }

    private static Map<String, Double> roundMap(Map<String, Double> m) {
        Map<String, Double> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(k, round(v, 3)));
        return r;
    }

    /** Without the CLI: {@code SpeedupBenchmark [BATCH] [LAMBDA] [REPEATS] [MODEL_CACHE_DIR]} on the recipe DiT-S/2; JSON on stdout. */
    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        double lambda = args.length > 1 ? Double.parseDouble(args[1]) : 0.5;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        DiTConfig cfg = DiTConfig.preset("DyDiT-S/2");
        int[] ts = timedTimesteps(250, 25);
        Path cache = args.length > 3 ? Path.of(args[3]) : null;
        DiTModel m;
        if (cache != null && Files.isDirectory(cache)) {
            m = DiTModel.load(cache);
        } else {
            m = RouterRecipe.build(cfg, lambda, ts, 0, System.err::println);
            if (cache != null) m.save(cache);
        }
        Map<String, Object> r = run(m, "DyDiT-S/2, router recipe", lambda, batch, repeats, ts, 0, System.err::println);
        System.out.println(new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
    }
}
