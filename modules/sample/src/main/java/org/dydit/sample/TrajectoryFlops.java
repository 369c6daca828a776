package org.dydit.sample;

import org.dydit.model.DyDiTGraph;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.ClassifierFreeGuidance;
import org.dydit.diffusion.CounterRandom;
import org.dydit.diffusion.DenoiseModel;
import org.dydit.diffusion.DiffusionSampler;
import org.dydit.diffusion.NoiseSource;
import org.dydit.diffusion.SamplingProgress;
import org.dydit.dynamic.ForwardStats;
import org.dydit.dynamic.DynamicEngine;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The expected per-sample cost of a DyDiT along real sampling trajectories: {@code n} samples drawn with DiT's
 * ancestral sampler ({@code steps} respaced steps, classifier-free guidance when scale > 1) from the seeded
 * {@link NoiseSource}, through the {@link DynamicEngine}, which takes the TDW decisions per sampling step and the
 * SDT decisions on the actual x_t of every sample and counts the MACs it really computes, routers included.
 *
 * <p>Costs are per forward pass of one sample (a guided step runs two: conditional and unconditional), averaged over
 * all forwards of the run; {@code flops_ratio} = dynamic ÷ static for the whole forward (embeddings, adaLN, final
 * layer and routers included). Labels are drawn uniformly from the seed.
 */
public final class TrajectoryFlops {
    private TrajectoryFlops() {}

    private static final long LABELS = 0x4C4142454CL;   // "LABEL"

    /** One forward pass's statistics at original timestep {@code t}. */
    record Step(int t, ForwardStats stats) {}

    /** Runs the trajectories of DiT's ancestral sampler with {@code steps} respaced steps and returns the JSON-ready report. */
    public static Map<String, Object> run(DiTModel model, int steps, int n, long seed, double cfgScale,
                                          SamplingProgress progress) {
        if (steps < 1) throw new IllegalArgumentException("--steps must be positive, got " + steps);
        return run(model, AncestralSampler.dit(String.valueOf(steps)), n, seed, cfgScale, progress);
    }

    /** {@link #run(DiTModel, int, int, long, double, SamplingProgress)} along the trajectories of {@code sampler} (DDPM or DDIM). */
    public static Map<String, Object> run(DiTModel model, DiffusionSampler sampler, int n, long seed, double cfgScale,
                                          SamplingProgress progress) {
        DiTConfig cfg = model.config();
        DyDiTGraph.requireDynamic(cfg);
        int steps = sampler.diffusion().numTimesteps();
        if (n < 1) throw new IllegalArgumentException("--n must be positive, got " + n);
        List<Step> record = new ArrayList<>();
        try (DynamicEngine engine = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC)) {
            DenoiseModel recording = (x, shape, t, y) -> {
                float[] out = engine.apply(x, shape, t, y);
                record.add(new Step(t[0], engine.lastStats()));
                return out;
            };
            DenoiseModel m = ClassifierFreeGuidance.ifEnabled(recording, cfgScale, cfg.numClasses());
            int[] labels = new int[n];
            CounterRandom rng = new CounterRandom(seed);
            for (int i = 0; i < n; i++) labels[i] = rng.uniformInt(LABELS, 0, i, 0, cfg.numClasses());
            long[] shape = {n, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
            sampler.sample(m, shape, labels, NoiseSource.seeded(seed), 0, progress);
        }
        return report(cfg, record, steps, n, seed, cfgScale);
    }

    static Map<String, Object> report(DiTConfig cfg, List<Step> record, int steps, int n, long seed, double cfgScale) {
        DiTFlops f = DiTFlops.of(cfg);
        double macs = 0, staticMacs = 0, forwards = 0;
        int depth = cfg.depth();
        List<Integer> timesteps = new ArrayList<>();
        double[][] heads = new double[depth][record.size()];
        double[][] groups = new double[depth][record.size()];
        double[][] keep = new double[depth][record.size()];
        for (int s = 0; s < record.size(); s++) {
            ForwardStats st = record.get(s).stats();
            macs += st.macs();
            staticMacs += st.staticMacs();
            forwards += st.batch();
            timesteps.add(record.get(s).t());
            for (int l = 0; l < depth; l++) {
                heads[l][s] = st.heads()[l];
                groups[l][s] = st.groups()[l];
                keep[l][s] = st.tokenFraction()[l];
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("config", cfg.toMap());
        r.put("steps", steps);
        r.put("n", n);
        r.put("seed", seed);
        r.put("cfg_scale", cfgScale);
        r.put("forwards_per_sample_step", cfgScale > 1 ? 2 : 1);
        r.put("gmacs", f.totalGMacs());
        r.put("gmacs_dynamic", macs / forwards / 1e9);
        r.put("flops_ratio", macs / staticMacs);
        r.put("timesteps", timesteps);
        List<Map<String, Object>> layers = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("layer", l);
            m.put("heads", heads[l]);
            m.put("groups", groups[l]);
            m.put("token_keep_rate", mean(keep[l]));
            m.put("token_keep_rate_per_step", keep[l]);
            m.put("mean_heads", mean(heads[l]));
            m.put("mean_groups", mean(groups[l]));
            layers.add(m);
        }
        r.put("per_layer", layers);
        r.put("num_heads", cfg.numHeads());
        return r;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? Double.NaN : s / v.length;
    }
}
