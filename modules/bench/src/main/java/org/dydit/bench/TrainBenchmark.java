package org.dydit.bench;

import org.dydit.engine.DiTParams;
import org.dydit.engine.Profile;
import org.dydit.kernels.KernelThreads;
import org.dydit.kernels.VectorKernels;
import org.dydit.kernels.VecMath;
import org.dydit.train.DyDiTObjective;
import org.dydit.train.DyDiTRecipe;
import org.dydit.train.Trainer;
import org.dydit.train.TrainerSettings;
import org.dydit.train.SyntheticLatents;
import org.dydit.diffusion.TrainingRandom;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTGraph;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.IOException;
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
 * The training-step benchmark behind {@code dydit bench train}: the hardware reference (best float32 gemm of
 * 2048x384x1536 into a preallocated output, faster of C and F order) and the median step time of the chosen
 * engine, in the same process, so that {@code mfu} is a ratio measured under the same conditions.
 *
 * <p>{@code engine}: the hand-written engine (forward, hybrid loss, backward, AdamW, EMA), or {@code samediff}:
 * the reference graph trained with {@code sd.fit} per step (Adam; loss = MSE of the output against a target
 * placeholder, which costs the same backward pass) plus the same EMA.
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    public enum Engine { ENGINE, SAMEDIFF }

    /**
     * Runs the benchmark and returns the JSON fields in order; {@code log} receives progress lines. With
     * {@code dydit} (engine only) a DyDiT fine-tuning step of the same size and batch is timed after the DiT step,
     * in the same process: stage 2 (routers on, Gumbel noise, FLOPs loss, no complete-model pass), λ = 0.5.
     */
    public static Map<String, Object> run(DiTConfig cfg, int batch, Engine engine, boolean dydit, int warmup, int steps,
                                          long seed, Consumer<String> log) throws IOException {
        if (batch < 1) throw new IllegalArgumentException("batch must be positive: " + batch);
        if (steps < 1 || warmup < 0) throw new IllegalArgumentException("need steps >= 1 and warmup >= 0");
        if (dydit && engine != Engine.ENGINE) throw new IllegalArgumentException("the DyDiT step runs on the engine only");
        if (cfg.dynamic()) throw new IllegalArgumentException("give the DiT config; the DyDiT step adds the routers");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "train");
        out.put("engine", engine.name().toLowerCase());
        out.put("model", describe(cfg));
        out.put("batch", batch);
        out.put("load_avg_start", loadAverage());
        log.accept("gemm reference: 2048x384x1536 float32, C and F order outputs (again after the steps; best kept)");
        double[] gemm = gemmReference();

        double fwdFlops = 2.0 * DiTFlops.of(cfg).totalMacs() * batch;
        double[] times;
        Map<String, Object> phases = null;
        Timed dyditRun = null;
        double ditPeak = Double.NaN;
        boolean dyditPeakAlone = false;
        if (engine == Engine.ENGINE) {
            Timed dit;
            try (Trainer tr = Trainer.dit(DiTParams.init(cfg, seed, DataType.FLOAT), TrainerSettings.dit(seed))) {
                dit = time("DiT", tr, batch, warmup, steps, seed, log);
            }
            times = dit.times;
            phases = dit.phases;
            if (dydit) {
                ditPeak = peakRssGiB();
                dyditPeakAlone = resetPeakRss();
                DiTConfig dyn = cfg.withDynamic(true);
                // stage 2 from the first step, λ = 0.5 (the target only moves the decisions, not the work)
                DyDiTRecipe recipe = DyDiTRecipe.paper(0.5, seed).withCompleteSteps(0);
                DiTParams w = DiTParams.init(dyn, seed, DataType.FLOAT);
                // router biases 0 instead of the initial 15/35: mixed decisions, as in stage 2 of a run
                for (String key : w.keys()) if (DiTKeys.isRouterKey(key) && key.endsWith(".bias")) w.get(key).assign(0);
                try (Trainer tr = Trainer.dydit(w, recipe)) {
                    dyditRun = time("DyDiT", tr, batch, warmup, steps, seed, log);
                }
            }
        } else {
            // SameDiff prints "Added differentiated op ..." on System.out: keep stdout for the JSON alone.
            java.io.PrintStream stdout = System.out;
            System.setOut(System.err);
            try {
                times = sameDiffSteps(cfg, batch, warmup, steps, seed, log);
            } finally {
                System.setOut(stdout);
            }
        }
        // The reference is re-measured after the steps and the best kept, so a burst of load from other
        // processes during one measurement does not inflate mfu.
        double[] again = gemmReference();
        gemm[0] = Math.max(gemm[0], again[0]);
        gemm[1] = Math.max(gemm[1], again[1]);
        out.put("gemm_gflops", round(Math.max(gemm[0], gemm[1]), 1));
        out.put("gemm_gflops_c_order", round(gemm[0], 1));
        out.put("gemm_gflops_f_order", round(gemm[1], 1));
        double[] measured = Arrays.copyOfRange(times, warmup, times.length);
        double step = median(measured);
        double achieved = 3 * fwdFlops / step / 1e9;
        out.put("step_s", round(step, 4));
        out.put("step_s_all", roundAll(measured, 3));
        out.put("forward_gflop_per_step", round(fwdFlops / 1e9, 2));
        out.put("achieved_gflops", round(achieved, 1));
        out.put("mfu", round(achieved / Math.max(gemm[0], gemm[1]), 3));
        if (phases != null) out.put("phase_s_per_step", phases);
        if (dyditRun != null) {
            double dy = median(Arrays.copyOfRange(dyditRun.times, warmup, dyditRun.times.length));
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("stage", 2);
            d.put("step_s", round(dy, 4));
            d.put("step_s_all", roundAll(Arrays.copyOfRange(dyditRun.times, warmup, dyditRun.times.length), 3));
            d.put("flops_ratio_last", round(dyditRun.lastFlopsRatio, 4));
            d.put("phase_s_per_step", dyditRun.phases);
            out.put("dydit", d);
            out.put("dydit_step_over_dit", round(dy / step, 3));
            out.put("dydit_step_over_dit_target", 1.15);
            out.put("peak_rss_gb_dit_part", round(ditPeak, 3));
            // VmHWM restarted after the DiT part where the kernel allows it: then this is the DyDiT part's own peak
            if (dyditPeakAlone) out.put("peak_rss_gb_dydit_part", round(peakRssGiB(), 3));
        }
        out.put("peak_rss_gb", round(Math.max(peakRssGiB(), Double.isNaN(ditPeak) ? 0 : ditPeak), 3));
        // sampled after each step; under a megabyte means the backend does not count its buffers (the CPU one)
        out.put("nd4j_offheap_peak_gb", offHeapPeak >= (1 << 20) ? round(offHeapPeak / GIB, 3) : "not counted by this backend");
        out.put("load_avg_end", loadAverage());
        out.put("threads", KernelThreads.THREADS);
        out.put("vector_kernels", VectorKernels.ON);
        out.put("vector_helpers_inlined", VecMath.forcedInline());
        return out;
    }

    /** The same as {@link #run} without the DyDiT step. */
    public static Map<String, Object> run(DiTConfig cfg, int batch, Engine engine, int warmup, int steps, long seed,
                                          Consumer<String> log) throws IOException {
        return run(cfg, batch, engine, false, warmup, steps, seed, log);
    }

    private static final double GIB = 1024.0 * 1024.0 * 1024.0;
    /** The largest ND4J off-heap total seen after a step, see {@link #offHeapBytes}. */
    private static long offHeapPeak;

    /** ND4J's off-heap bytes now: its allocation tracker's count for device 0, or JavaCPP's, whichever is larger. */
    static long offHeapBytes() {
        long nd4j = org.nd4j.linalg.api.memory.AllocationsTracker.getInstance().bytesOnDevice(0);
        return Math.max(nd4j, org.bytedeco.javacpp.Pointer.totalBytes());
    }

    /** Step times (warm-up included) and the phases of the measured steps. */
    private record Timed(double[] times, Map<String, Object> phases, double lastFlopsRatio) {}

    private static Timed time(String name, Trainer tr, int batch, int warmup, int steps, long seed, Consumer<String> log) {
        SyntheticLatents data = new SyntheticLatents(tr.config(), seed);
        float[] x0 = new float[batch * data.perSample()];
        int[] y = new int[batch];
        double[] times = new double[warmup + steps];
        Profile prof = tr.engine().profile();
        Trainer.StepResult r = null;
        for (int i = 0; i < warmup + steps; i++) {
            data.batch(tr.step(), x0, y);
            if (i == warmup) {
                prof.reset();
                prof.enable(true);
            }
            long t0 = System.nanoTime();
            r = tr.step(x0, y);
            times[i] = (System.nanoTime() - t0) / 1e9;
            offHeapPeak = Math.max(offHeapPeak, offHeapBytes());
            log.accept(String.format("%s step %d/%d%s: %.3f s, loss %.4f", name, i + 1, warmup + steps,
                    i < warmup ? " (warm-up)" : "", times[i], r.loss()));
        }
        prof.enable(false);
        Map<String, Object> phases = new LinkedHashMap<>();
        for (Profile.Phase p : Profile.Phase.values()) phases.put(p.name().toLowerCase(), round(prof.seconds(p) / steps, 4));
        Double ratio = r.terms().get(DyDiTObjective.RATIO);
        return new Timed(times, phases, ratio == null ? Double.NaN : ratio);
    }

    /** Without the CLI: {@code TrainBenchmark MODEL BATCH [engine|samediff] [STEPS] [dydit]}; prints the JSON on stdout. */
    public static void main(String[] args) throws Exception {
        DiTConfig cfg = DiTConfig.preset(args.length > 0 ? args[0] : "DiT-S/2");
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Engine e = args.length > 2 ? Engine.valueOf(args[2].toUpperCase()) : Engine.ENGINE;
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Map<String, Object> r = run(cfg, batch, e, args.length > 4 && args[4].equals("dydit"), 2, steps, 0, System.err::println);
        System.out.println(new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
    }

    private static double[] sameDiffSteps(DiTConfig cfg, int batch, int warmup, int steps, long seed, Consumer<String> log) {
        DiTModel model = DiTModel.init(cfg, seed);
        SameDiff sd = model.graph(DataType.FLOAT, true);
        SDVariable out = sd.getVariable(DiTGraph.OUT);
        SDVariable target = sd.placeHolder("target", DataType.FLOAT, -1, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
        SDVariable loss = out.sub(target).mul(out.sub(target)).mean();
        sd.setLossVariables(loss.name());
        boolean drop = sd.hasVariable(DiTGraph.DROP);
        List<String> features = new ArrayList<>(List.of(DiTGraph.X, DiTGraph.T, DiTGraph.Y));
        if (drop) features.add(DiTGraph.DROP);
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(1e-4))
                .dataSetFeatureMapping(features.toArray(new String[0])).dataSetLabelMapping("target").build());
        Map<String, INDArray> ema = new LinkedHashMap<>();
        for (SDVariable v : sd.variables()) {
            if (v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE) ema.put(v.name(), v.getArr().dup());
        }
        SyntheticLatents data = new SyntheticLatents(cfg, seed);
        TrainingRandom random = new TrainingRandom(seed);
        int n = data.perSample();
        float[] x0 = new float[batch * n];
        int[] y = new int[batch];
        float[] noise = new float[batch * n];
        double[] times = new double[warmup + steps];
        for (int i = 0; i < warmup + steps; i++) {
            data.batch(i, x0, y);
            long t0 = System.nanoTime();
            float[] tt = new float[batch];
            long[] yy = new long[batch];
            float[] dd = new float[batch];
            for (int b = 0; b < batch; b++) {
                tt[b] = random.timestep(i, b, 1000);
                random.noise(noise, b * n, n, i, b);
                dd[b] = random.dropLabel(i, b, 0, cfg.classDropoutProb()) ? 1 : 0;
                yy[b] = y[b];
            }
            INDArray x = Nd4j.create(x0, new long[]{batch, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()}, 'c');
            float[] tg = new float[2 * batch * n];
            for (int b = 0; b < batch; b++) System.arraycopy(noise, b * n, tg, 2 * b * n, n);
            INDArray[] f = drop
                    ? new INDArray[]{x, Nd4j.createFromArray(tt), Nd4j.createFromArray(yy), Nd4j.createFromArray(dd)}
                    : new INDArray[]{x, Nd4j.createFromArray(tt), Nd4j.createFromArray(yy)};
            INDArray target0 = Nd4j.create(tg, new long[]{batch, cfg.outChannels(), cfg.inputSize(), cfg.inputSize()}, 'c');
            sd.fit(new MultiDataSet(f, new INDArray[]{target0}));
            for (Map.Entry<String, INDArray> e : ema.entrySet()) {
                e.getValue().muli(0.9999).addi(sd.getArrForVarName(e.getKey()).mul(1 - 0.9999));
            }
            times[i] = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format("step %d/%d%s: %.3f s", i + 1, warmup + steps, i < warmup ? " (warm-up)" : "", times[i]));
        }
        return times;
    }

    static String describe(DiTConfig c) {
        return String.format("depth %d, hidden %d, heads %d, patch %d, input %d, %d tokens", c.depth(), c.hiddenSize(),
                c.numHeads(), c.patchSize(), c.inputSize(), c.tokens());
    }

    /** Restarts VmHWM at the current resident set (Linux: "5" into /proc/self/clear_refs); false where refused. */
    static boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Peak resident set (VmHWM) of this process in GiB; NaN where /proc is unavailable. */
    public static double peakRssGiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] p = line.trim().split("\\s+");
                    return Long.parseLong(p[1]) / (1024.0 * 1024.0);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
