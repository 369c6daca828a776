package org.dydit.bench;

import org.dydit.dynamic.DynamicEngine;
import org.dydit.kernels.VectorKernels;
import org.dydit.sample.TrajectoryInputs;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.GaussianDiffusion;
import org.dydit.diffusion.NoiseSource;
import org.dydit.kernels.KernelThreads;
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
import static org.dydit.bench.BenchmarkSupport.processCpuSeconds;
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
 * (best kept), as the training benchmark does. The speedup is the median of the repeats; every repeat's times,
 * phases, allocations and JIT time are reported with it ({@link SpeedupTiming}), and at a batch above 1 the
 * speedup at batch 1 too, on the first sample's inputs.
 */
public final class SpeedupBenchmark {
    private SpeedupBenchmark() {}

    /** Timed repeats unless told otherwise: the speedup is their median. */
    public static final int DEFAULT_REPEATS = 5;

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
     * that chain. At a batch above 1, batch 1 is timed too, on the first sample of the same inputs.
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
        RunClock clock = new RunClock();
        double[] gemm = gemmReference();
        clock.lap("gemm_reference");

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
        int[] descending = new int[steps];
        for (int i = 0; i < steps; i++) descending[i] = kept[steps - 1 - i];
        SpeedupTiming main, one = null;
        try (DynamicEngine dyn = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC);
             DynamicEngine stat = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
            clock.lap("engines");
            int[] all = new int[full.numTimesteps()];
            for (int k = 0; k < all.length; k++) all[k] = full.originalTimestep(k);
            dyn.prepare(all);
            log.accept("DDPM-" + chainSteps + " chain with the dynamic model (" + dyn.slicesBuilt()
                    + " sliced weight sets); its inputs at the " + steps + " timed steps are kept");
            // the static engine also runs (untimed) at the kept steps, so both are warm when the timing starts
            float[][] inputs = TrajectoryInputs.record(dyn, sampler, noise, shape, labels, descending,
                    (x, t) -> stat.forward(x, shape, t, labels), log);
            clock.lap("chain");
            main = SpeedupTiming.measure(dyn, stat, inputs, shape, labels, descending, repeats, "batch " + batch, log);
            clock.lap("timed_batch");
            if (batch > 1) {
                // sample 0's inputs: its noise and label depend on (seed, 0) only, as in a batch-1 chain
                int per = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
                float[][] first = new float[steps][];
                for (int i = 0; i < steps; i++) first[i] = Arrays.copyOf(inputs[i], per);
                long[] shape1 = {1, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
                one = SpeedupTiming.measure(dyn, stat, first, shape1, new int[]{labels[0]}, descending, repeats, "batch 1", log);
                clock.lap("timed_batch1");
            }
        }
        // the reference again after the runs, best kept: one reading taken during a load burst would understate it
        double[] again = gemmReference();
        clock.lap("gemm_reference");
        gemm[0] = Math.max(gemm[0], again[0]);
        gemm[1] = Math.max(gemm[1], again[1]);
        double peak = Math.max(gemm[0], gemm[1]);
        double speedup = main.speedup(), ratio = main.flopsRatio();
        double staticGflops = 2 * main.staticMacs() / median(main.statTotals()) / 1e9;
        out.put("flops_ratio", round(ratio, 4));
        out.put("speedup", round(speedup, 3));
        out.put("efficiency", round(speedup * ratio, 3));
        out.put("static_fraction_of_peak", round(staticGflops / peak, 3));
        out.put("speedup_all", roundAll(main.speedups(), 3));
        out.put("static_s_per_step", round(median(main.statTotals()) / steps, 4));
        out.put("dynamic_s_per_step", round(median(main.dynTotals()) / steps, 4));
        out.put("static_gflops", round(staticGflops, 1));
        out.put("dynamic_gflops_effective", round(2 * main.macs() / median(main.dynTotals()) / 1e9, 1));
        out.put("gemm_gflops", round(peak, 1));
        out.put("gemm_gflops_c_order", round(gemm[0], 1));
        out.put("gemm_gflops_f_order", round(gemm[1], 1));
        out.put("static_gmacs_per_sample", round(main.staticMacs() / steps / batch / 1e9, 3));
        out.put("phase_s_static", roundMap(mean(main.statPhases)));
        out.put("phase_s_dynamic", roundMap(mean(main.dynPhases)));
        out.put("steps", main.perStep(descending));
        out.put("load_avg_end", loadAverage());
        out.put("threads", KernelThreads.threads());   // what the kernels and the split products run on
        String wait = System.getenv("OMP_WAIT_POLICY");
        out.put("omp_wait_policy", wait == null ? "unset" : wait);
        out.put("product_call", "matmul op, native context kept per (input, weight, output), rows split over the kernel threads");
        out.put("vector_kernels", VectorKernels.ON);
        out.put("vector_helpers_inlined", VecMath.forcedInline());
        out.put("speedup_batch1", round((one == null ? main : one).speedup(), 3));
        if (one != null) {
            Map<String, Object> b1 = new LinkedHashMap<>();
            b1.put("batch", 1);
            b1.put("flops_ratio", round(one.flopsRatio(), 4));
            b1.put("speedup", round(one.speedup(), 3));
            b1.put("efficiency", round(one.speedup() * one.flopsRatio(), 3));
            b1.put("speedup_all", roundAll(one.speedups(), 3));
            b1.put("static_s_per_step", round(median(one.statTotals()) / steps, 4));
            b1.put("dynamic_s_per_step", round(median(one.dynTotals()) / steps, 4));
            b1.put("phase_s_static", roundMap(mean(one.statPhases)));
            b1.put("phase_s_dynamic", roundMap(mean(one.dynPhases)));
            one.putRepeats(b1);
            b1.put("steps", one.perStep(descending));
            out.put("batch1", b1);
        }
        main.putRepeats(out);
        out.put("vector_boxing_suspected", main.boxing() || (one != null && one.boxing()));
        out.put("peak_rss_gb", round(TrainBenchmark.peakRssGiB(), 3));
        out.put("run_s", roundMap(clock.wall));
        out.put("run_cpu_s", roundMap(clock.cpu));   // on a loaded machine the wall times above stretch, these less
        if (main.boxing() || (one != null && one.boxing())) {
            log.accept("WARNING: the Java kernels allocated like vector code running out of line (boxed vectors); "
                    + "this run's times are not the engine's: see allocated_mb_*_all");
        }
        return out;
    }

    /** Wall and process CPU seconds per part of the run (the CPU seconds stretch less on a loaded machine). */
    private static final class RunClock {
        final Map<String, Double> wall = new LinkedHashMap<>(), cpu = new LinkedHashMap<>();
        private long wallMark = System.nanoTime();
        private double cpuMark = processCpuSeconds();

        void lap(String part) {
            long now = System.nanoTime();
            double c = processCpuSeconds();
            wall.merge(part, (now - wallMark) / 1e9, Double::sum);
            cpu.merge(part, c - cpuMark, Double::sum);
            wallMark = now;
            cpuMark = c;
        }
    }

    /** The mean over repeats of per-repeat phase seconds. */
    private static Map<String, Double> mean(List<Map<String, Double>> perRepeat) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Map<String, Double> r : perRepeat) r.forEach((k, v) -> m.merge(k, v / perRepeat.size(), Double::sum));
        return m;
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
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_REPEATS;
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
