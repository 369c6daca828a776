package org.dydit.dynamic;

import org.dydit.kernels.InferenceKernels;
import org.dydit.kernels.SplitMatmul;
import org.dydit.kernels.VectorKernels;
import org.dydit.routing.TokenRouter;
import org.dydit.diffusion.DenoiseModel;
import org.dydit.kernels.NdBuffer;
import org.dydit.engine.PatchLayout;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sampling engine for DiT and DyDiT models: a forward pass that really skips what DyDiT's routers switch
 * off, in float32 with ND4J gemm into preallocated buffers (rows split over the kernel threads, {@link SplitMatmul})
 * and fused Java kernels for the rest.
 *
 * <ul>
 *   <li>TDW: the active heads and MLP channel groups depend only on t ({@link TimestepWidths}); each layer runs
 *   qkv, attention and proj on the active heads only and the MLP on the active groups only, with weights sliced
 *   once per distinct set ({@link WidthSlices}). The full proj and fc2 biases are always added, as in the masked
 *   reference.</li>
 *   <li>SDT: per layer the token router scores every row of the residual stream after attention; the kept rows
 *   of the whole batch are gathered, run through LN, modulate, MLP and gate, and scatter-added back; skipped
 *   rows are left as they are (exactly the masked reference, whose skipped rows get a zero update).</li>
 *   <li>{@link Mode#STATIC} runs the same code at full width with every token and no routers: the plain DiT
 *   (for a DyDiT model, its complete model), which is the speed baseline.</li>
 * </ul>
 * Samples sharing a timestep run as one batch (classifier-free guidance is one batch of 2n through
 * {@link org.dydit.diffusion.ClassifierFreeGuidance}); a batch with several timesteps runs per timestep.
 * Not thread-safe: one engine per thread.
 */
public final class DynamicEngine implements DenoiseModel, AutoCloseable {
    public enum Mode { DYNAMIC, STATIC }

    private final DiTConfig cfg;
    private final PatchLayout.Cache layout;
    private final Mode mode;
    private final DynamicWeights w;
    private final TimestepWidths widths;
    private final WidthSlices slices;
    private final DiTFlops flops;
    private final float[] pos;
    private final int tokens, d, routerHidden;
    private final TokenRouter.Packed[] tokenRouters;
    // per-layer tensors looked up once (the forward runs per sampling step; no key strings built there)
    private final float[][] adaWt, adaB, projB, fc2B;
    private final SplitMatmul matmul = new SplitMatmul();
    private Buffers buf;
    private ForwardStats last;
    private float[][] tokenLogits;     // per layer, of the last forward, when recording
    private boolean recordTokenLogits;

    public DynamicEngine(DiTModel model, Mode mode) {
        this.cfg = model.config();
        this.layout = new PatchLayout.Cache(cfg);
        if (mode == Mode.DYNAMIC && !cfg.dynamic()) {
            throw new IllegalArgumentException("the model is a DiT (\"dynamic\": false in its config): it has no routers; "
                    + "run it statically");
        }
        if (cfg.dynamic() && cfg.numHeads() > 63) throw new IllegalArgumentException("at most 63 heads, got " + cfg.numHeads());
        this.mode = mode;
        this.w = new DynamicWeights(cfg, model.weights());
        this.widths = new TimestepWidths(cfg, w, mode == Mode.DYNAMIC);
        this.slices = new WidthSlices(cfg, w);
        this.flops = DiTFlops.of(cfg);
        this.pos = w.heap(DiTKeys.POS_EMBED);
        this.tokens = cfg.tokens();
        this.d = cfg.hiddenSize();
        this.routerHidden = cfg.dynamic() ? DiTKeys.tokenRouterHidden(cfg) : 0;
        int depth = cfg.depth();
        this.tokenRouters = new TokenRouter.Packed[depth];
        this.adaWt = new float[depth + 1][];
        this.adaB = new float[depth + 1][];
        this.projB = new float[depth][];
        this.fc2B = new float[depth][];
        for (int l = 0; l <= depth; l++) {
            String key = l < depth ? DiTKeys.adaLN(l) : DiTKeys.FINAL_ADALN;   // index depth: the final layer's
            adaWt[l] = w.heapTransposed(key + ".weight");
            adaB[l] = w.heap(key + ".bias");
        }
        for (int l = 0; l < depth; l++) {
            projB[l] = w.heap(DiTKeys.proj(l) + ".bias");
            fc2B[l] = w.heap(DiTKeys.fc2(l) + ".bias");
            if (mode == Mode.DYNAMIC) {
                tokenRouters[l] = TokenRouter.Packed.of(w.heap(DiTKeys.tokenRouter0(l) + ".weight"),
                        w.heap(DiTKeys.tokenRouter0(l) + ".bias"), w.heap(DiTKeys.tokenRouter2(l) + ".weight"),
                        w.heap(DiTKeys.tokenRouter2(l) + ".bias")[0], d, VectorKernels.L);
            }
        }
    }

    /** Loads a model folder ({@code config.json} + {@code model.safetensors}). */
    public static DynamicEngine load(Path modelDir, Mode mode) throws IOException {
        return new DynamicEngine(DiTModel.load(modelDir), mode);
    }

    public DiTConfig config() {
        return cfg;
    }

    public Mode mode() {
        return mode;
    }


    /** Where the time of forward passes goes; enable it to measure (off by default: it costs a clock read per phase). */
    public enum Phase { GEMM, ATTENTION, ROWS_ATTN, ROWS_MLP, ROUTERS, ADALN, EMBED, FINAL }

    private final long[] phaseNanos = new long[Phase.values().length];
    private boolean profiling;
    private long mark;

    public void profile(boolean on) {
        profiling = on;
        java.util.Arrays.fill(phaseNanos, 0);
    }

    /** Seconds spent per phase since {@link #profile} was switched on. */
    public Map<String, Double> phaseSeconds() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Phase p : Phase.values()) m.put(p.name().toLowerCase(java.util.Locale.ROOT), phaseNanos[p.ordinal()] / 1e9);
        return m;
    }

    private void lap(Phase p) {
        if (!profiling) return;
        long now = System.nanoTime();
        phaseNanos[p.ordinal()] += now - mark;
        mark = now;
    }

    /** The statistics of the last {@link #forward} call. */
    public ForwardStats lastStats() {
        return last;
    }

    /**
     * Sets token router {@code layer}'s output bias for the following forwards (the router recipe calibrates the
     * layers one after another on one engine, each seeing the earlier ones calibrated).
     */
    public void setTokenRouterBias(int layer, float bias) {
        if (mode != Mode.DYNAMIC) throw new IllegalStateException("a static engine runs no token routers");
        tokenRouters[layer] = tokenRouters[layer].withBias(bias);
    }

    /** Keep each layer's token logits of the next forward passes ({@link #tokenLogits}), for calibration. */
    public void recordTokenLogits(boolean on) {
        recordTokenLogits = on;
    }

    /** Layer l's token logits of the last forward (B*T, in the order of the last timestep group). */
    public float[] tokenLogits(int layer) {
        return tokenLogits == null ? null : tokenLogits[layer];
    }

    /**
     * Precomputes the TDW decisions and sliced weights of every timestep in {@code originalTimesteps} (a sampling
     * schedule), so that the loop itself only looks them up.
     */
    public void prepare(int[] originalTimesteps) {
        for (int t : originalTimesteps) {
            TimestepWidths.Plan p = widths.plan(t);
            for (int l = 0; l < cfg.depth(); l++) {
                slices.attn(l, p.heads()[l]);
                slices.mlp(l, p.groups()[l]);
            }
        }
    }

    /** Active heads per layer at timestep t (head 0 always; every head in {@link Mode#STATIC}). */
    public int[][] activeHeads(int t) {
        return deepCopy(widths.plan(t).heads());
    }

    /** Active MLP channel groups per layer at timestep t. */
    public int[][] activeGroups(int t) {
        return deepCopy(widths.plan(t).groups());
    }

    /** The smallest |width-router logit| at timestep t (infinite for a static engine). */
    public double widthMargin(int t) {
        return widths.plan(t).minMargin();
    }

    /** Distinct sliced weight sets built so far. */
    public int slicesBuilt() {
        return slices.cached();
    }

    @Override
    public float[] apply(float[] x, long[] shape, int[] originalTimesteps, int[] labels) {
        return forward(x, shape, originalTimesteps, labels);
    }

    /**
     * The model output (B, outChannels, H, W) for x (B, C, H, W), original timesteps t and labels y
     * ({@code num_classes} = null class).
     */
    public float[] forward(float[] x, long[] shape, int[] t, int[] y) {
        int b = check(x, shape, t, y);
        int per = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        int perOut = cfg.outChannels() * cfg.inputSize() * cfg.inputSize();
        float[] out = new float[b * perOut];
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < b; i++) groups.computeIfAbsent(t[i], k -> new ArrayList<>()).add(i);
        Acc acc = new Acc(b);
        long gemmBefore = matmul.macs();
        if (groups.size() == 1) {
            run(x, b, t[0], y, out, acc);
        } else {
            for (Map.Entry<Integer, List<Integer>> g : groups.entrySet()) {
                List<Integer> idx = g.getValue();
                int n = idx.size();
                float[] xs = new float[n * per], os = new float[n * perOut];
                int[] ys = new int[n];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(x, idx.get(i) * per, xs, i * per, per);
                    ys[i] = y[idx.get(i)];
                }
                run(xs, n, g.getKey(), ys, os, acc);
                for (int i = 0; i < n; i++) System.arraycopy(os, i * perOut, out, idx.get(i) * perOut, perOut);
            }
        }
        acc.executedMacs += matmul.macs() - gemmBefore;
        last = acc.stats();
        return out;
    }

    /** One batch of n samples at timestep t. */
    private void run(float[] x, int n, int t, int[] y, float[] out, Acc acc) {
        Buffers s = buffers(n);
        int depth = cfg.depth();
        TimestepWidths.Plan plan = widths.plan(t);
        boolean dyn = mode == Mode.DYNAMIC;
        if (recordTokenLogits && dyn) tokenLogits = new float[depth][];
        if (profiling) mark = System.nanoTime();
        float[][] adaAll = embed(x, n, plan, y, s, acc);
        for (int l = 0; l < depth; l++) {
            int kept = attentionAndRouter(s, n, l, plan, adaAll[l], acc);
            if (dyn && tokenLogits != null) tokenLogits[l] = Arrays.copyOf(s.logits, n * tokens);
            mlp(s, n, l, plan, adaAll[l], dyn ? s.rows : null, kept, acc);
        }
        if (dyn) acc.widthMargin = Math.min(acc.widthMargin, plan.minMargin());
        lap(Phase.ROWS_MLP);
        finalLayer(s, n, adaAll[depth], out);
    }

    /** Patch embedding into the residual stream {@code s.xs}; returns every block's adaLN output, then the final layer's. */
    private float[][] embed(float[] x, int n, TimestepWidths.Plan plan, int[] y, Buffers s, Acc acc) {
        int m = n * tokens, depth = cfg.depth();
        // patch embedding + bias + fixed position embedding
        int pp = cfg.inChannels() * cfg.patchSize() * cfg.patchSize();
        patchify(x, n, s.stage);
        s.patches.fb.put(0, s.stage, 0, m * pp);
        matmul.run(s.patches, m, pp, w.get(DiTKeys.PATCH_W), s.xs, d);
        addBiasAndPos(s.xs.fb, m, w.heap(DiTKeys.PATCH_B));
        lap(Phase.EMBED);

        // c = E_t + y_emb; every adaLN reads SiLU(c)
        float[] table = w.heap(DiTKeys.LABEL_TABLE), e = plan.tEmb();
        float[] siluC = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                float c = e[j] + table[y[i] * d + j];
                siluC[i * d + j] = (float) (c / (1 + Math.exp(-c)));
            }
        }
        float[][] adaAll = adaLN(siluC, n, acc);   // every block's, then the final layer's
        lap(Phase.ADALN);
        acc.macs += (double) n * (flops.embeddingMacs() + flops.finalLayerMacs() + depth * flops.adaLNMacs());
        acc.staticMacs += (double) n * flops.totalMacs();
        return adaAll;
    }

    /**
     * Layer l's attention on its active heads and the gated residual update; in a dynamic engine the token router
     * on the updated rows too: its logits in {@code s.logits}, the rows it keeps in {@code s.rows}. Returns the
     * number of rows the MLP runs on.
     */
    private int attentionAndRouter(Buffers s, int n, int l, TimestepWidths.Plan plan, float[] ada, Acc acc) {
        int m = n * tokens, hd = cfg.headDim();
        WidthSlices.Attn at = slices.attn(l, plan.heads()[l]);
        int aw = at.heads() * hd;
        InferenceKernels.lnModulate(s.xs.fb, null, m, ada, 6 * d, 0, d, tokens, d, s.xm.fb);
        lap(Phase.ROWS_ATTN);
        matmul.run(s.xm, m, d, at.qkvW(), s.qkv, 3 * aw);
        lap(Phase.GEMM);
        acc.executedMacs += HeadAttention.forward(s.qkv.bb, at.qkvB(), n, tokens, at.heads(), hd, s.att.bb);
        lap(Phase.ATTENTION);
        matmul.run(s.att, m, aw, at.projW(), s.br, d);
        lap(Phase.GEMM);
        acc.macs += (double) n * flops.attentionMacs(tokens, at.heads());
        acc.heads[l] += (double) n * at.heads();

        // SDT: the rows the token router keeps, over the whole batch. The router runs in the same pass as the
        // attention residual update (each residual row read once); that pass is timed as ROUTERS.
        if (mode != Mode.DYNAMIC) {
            InferenceKernels.gatedScatterAdd(s.xs.fb, null, m, s.br.fb, projB[l], ada, 6 * d, 2 * d, tokens, d);
            lap(Phase.ROWS_ATTN);
            return m;
        }
        float[] logits = s.logits;
        TokenRouter.Packed tr = tokenRouters[l];
        InferenceKernels.gatedAddTokenRouter(s.xs.fb, m, s.br.fb, projB[l], ada, 6 * d, 2 * d, tokens, d,
                tr.w0t(), tr.kp(), tr.b0(), tr.w2(), tr.b2(), logits);
        acc.executedMacs += (long) m * d * routerHidden + (long) m * routerHidden;   // (m, D)(D, D/16), (m, D/16)(D/16, 1)
        int kept = 0;
        for (int r = 0; r < m; r++) {
            if (TokenRouter.keeps(logits[r])) s.rows[kept++] = r;
            acc.tokenMargin = Math.min(acc.tokenMargin, Math.abs(logits[r]));
        }
        acc.macs += (double) n * (tokens * ((double) d * routerHidden + routerHidden) + 2.0 * (cfg.numHeads() - 1) * d);
        lap(Phase.ROUTERS);
        return kept;
    }

    /** Layer l's MLP on its active groups over the {@code kept} rows listed in {@code rows} (null: every row). */
    private void mlp(Buffers s, int n, int l, TimestepWidths.Plan plan, float[] ada, int[] rows, int kept, Acc acc) {
        int gsz = cfg.mlpHidden() / cfg.numHeads();
        acc.tokens[l] += (double) kept / tokens;
        WidthSlices.Mlp mp = slices.mlp(l, plan.groups()[l]);
        acc.groups[l] += (double) n * mp.hidden() / gsz;
        if (kept == 0) return;
        InferenceKernels.lnModulate(s.xs.fb, rows, kept, ada, 6 * d, 3 * d, 4 * d, tokens, d, s.xm.fb);
        lap(Phase.ROWS_MLP);
        matmul.run(s.xm, kept, d, mp.fc1W(), s.f, mp.hidden());
        lap(Phase.GEMM);
        InferenceKernels.biasGelu(s.f.fb, kept, mp.hidden(), mp.fc1B());
        lap(Phase.ROWS_MLP);
        matmul.run(s.f, kept, mp.hidden(), mp.fc2W(), s.br, d);
        lap(Phase.GEMM);
        InferenceKernels.gatedScatterAdd(s.xs.fb, rows, kept, s.br.fb, fc2B[l], ada, 6 * d, 5 * d, tokens, d);
        lap(Phase.ROWS_MLP);
        acc.macs += flops.mlpMacs(kept, mp.hidden());
    }

    /** The final layer: adaLN (shift, scale) -> LN -> modulate -> Linear -> unpatchify (+ bias). */
    private void finalLayer(Buffers s, int n, float[] adaF, float[] out) {
        int m = n * tokens;
        InferenceKernels.lnModulate(s.xs.fb, null, m, adaF, 2 * d, 0, d, tokens, d, s.xm.fb);
        int po = cfg.patchOut();
        matmul.run(s.xm, m, d, w.get(DiTKeys.FINAL_LINEAR + ".weight"), s.outTok, po);
        s.outTok.fb.get(0, s.stage, 0, m * po);
        unpatchify(s.stage, w.heap(DiTKeys.FINAL_LINEAR + ".bias"), n, out);
        lap(Phase.FINAL);
    }

    /** Chooses a token router's output bias from its logits (computed with bias 0) over all calibration inputs. */
    public interface TokenBiasRule {
        float bias(int layer, float[] logits);
    }

    /**
     * Token-router output biases set layer after layer, and the share of the tokens each layer then keeps per input.
     * {@code keptShare[i][l]} is the mean over input i's samples, as {@link ForwardStats#tokenFraction}.
     */
    public record TokenCalibration(float[] biases, double[][] keptShare) {}

    /**
     * Sets every token router's output bias, layer after layer, to {@code rule}'s answer for that layer's logits
     * (computed with its own bias at 0) over all the inputs, each layer seeing the earlier layers' new biases: what
     * one forward per layer per input would give, in one pass through the layers per input. Input i is
     * {@code xs[i]} of shape {@code shape} (every input the same batch size) at timestep {@code timesteps[i]} for
     * every sample, with labels {@code labels[i]}; each input's residual stream is kept between layers.
     */
    public TokenCalibration calibrateTokenRouters(float[][] xs, long[] shape, int[] timesteps, int[][] labels,
                                                  TokenBiasRule rule) {
        if (mode != Mode.DYNAMIC) throw new IllegalStateException("a static engine runs no token routers");
        int k = xs.length, depth = cfg.depth();
        if (timesteps.length != k || labels.length != k) {
            throw new IllegalArgumentException("calibration inputs: " + k + " inputs, " + timesteps.length + " timesteps, "
                    + labels.length + " label sets");
        }
        int n = Math.toIntExact(shape[0]), m = n * tokens;
        Buffers s = buffers(n);
        TimestepWidths.Plan[] plans = new TimestepWidths.Plan[k];
        float[][][] ada = new float[k][][];
        float[][] resid = new float[k][m * d], logits = new float[k][];
        Acc acc = new Acc(n);   // not reported: the MLP and router calls need one
        for (int i = 0; i < k; i++) {
            int[] t = new int[n];
            Arrays.fill(t, timesteps[i]);
            check(xs[i], shape, t, labels[i]);
            plans[i] = widths.plan(timesteps[i]);
            ada[i] = embed(xs[i], n, plans[i], labels[i], s, acc);
            s.xs.fb.get(0, resid[i], 0, m * d);
        }
        float[] biases = new float[depth];
        double[][] kept = new double[k][depth];
        for (int l = 0; l < depth; l++) tokenRouters[l] = tokenRouters[l].withBias(0f);
        for (int l = 0; l < depth; l++) {
            float[] all = new float[k * m];
            for (int i = 0; i < k; i++) {
                s.xs.fb.put(0, resid[i], 0, m * d);
                attentionAndRouter(s, n, l, plans[i], ada[i][l], acc);
                logits[i] = Arrays.copyOf(s.logits, m);
                System.arraycopy(logits[i], 0, all, i * m, m);
                s.xs.fb.get(0, resid[i], 0, m * d);
            }
            float bias = rule.bias(l, all);
            biases[l] = bias;
            tokenRouters[l] = tokenRouters[l].withBias(bias);   // later layers see this layer calibrated
            for (int i = 0; i < k; i++) {
                // the router kernel adds its bias last: logit(bias) = logit(0) + bias, so the decisions follow
                int count = 0;
                for (int r = 0; r < m; r++) if (TokenRouter.keeps(logits[i][r] + bias)) s.rows[count++] = r;
                s.xs.fb.put(0, resid[i], 0, m * d);
                mlp(s, n, l, plans[i], ada[i][l], s.rows, count, acc);
                s.xs.fb.get(0, resid[i], 0, m * d);
                kept[i][l] = (double) count / tokens / n;
            }
        }
        return new TokenCalibration(biases, kept);
    }

    /**
     * adaLN modulations (n, width) = SiLU(c) W^T + b of every block and, last, of the final layer, on the heap. A Java
     * kernel: with only n rows the backend's gemm handles such thin shapes poorly.
     */
    private float[][] adaLN(float[] siluC, int n, Acc acc) {
        float[][] out = new float[adaB.length][];
        for (int l = 0; l < out.length; l++) out[l] = new float[n * adaB[l].length];
        InferenceKernels.linearRows(siluC, n, d, adaWt, adaB, out);
        for (float[] b : adaB) acc.executedMacs += (long) n * d * b.length;   // (n, D)(D, 6D) per block, (n, D)(D, 2D)
        return out;
    }

    private void addBiasAndPos(FloatBuffer xs, int m, float[] bias) {
        float[] row = new float[d];
        for (int r = 0; r < m; r++) {
            xs.get(r * d, row, 0, d);
            int p = (r % tokens) * d;
            for (int j = 0; j < d; j++) row[j] += bias[j] + pos[p + j];
            xs.put(r * d, row, 0, d);
        }
    }

    /** x (n, C, H, W) -> the patch rows (n*T, C*p*p) of {@link PatchLayout#input}. */
    private void patchify(float[] x, int n, float[] dst) {
        int[] map = layout.input(n);
        for (int k = 0; k < map.length; k++) dst[k] = x[map[k]];
    }

    /** The final layer's rows (n*T, p*p*Cout) + bias -> (n, Cout, H, W), through {@link PatchLayout#output}. */
    private void unpatchify(float[] tok, float[] bias, int n, float[] out) {
        int[] map = layout.output(n);
        int w = bias.length;
        for (int k = 0; k < map.length; k++) out[map[k]] = tok[k] + bias[k % w];
    }

    private int check(float[] x, long[] shape, int[] t, int[] y) {
        int side = cfg.inputSize();
        if (shape == null || shape.length != 4 || shape[1] != cfg.inChannels() || shape[2] != side || shape[3] != side
                || shape[0] < 1) {
            throw new IllegalArgumentException("x has shape " + Arrays.toString(shape) + " but the model takes (B, "
                    + cfg.inChannels() + ", " + side + ", " + side + ")");
        }
        int b = Math.toIntExact(shape[0]);
        if (x.length != (long) b * cfg.inChannels() * side * side) {
            throw new IllegalArgumentException("x holds " + x.length + " values, shape " + Arrays.toString(shape) + " needs "
                    + (long) b * cfg.inChannels() * side * side);
        }
        if (t.length != b || y.length != b) {
            throw new IllegalArgumentException("batch sizes differ: x has " + b + " samples, t " + t.length + ", y " + y.length);
        }
        int rows = cfg.labelTableRows();
        for (int i = 0; i < b; i++) {
            if (y[i] < 0 || y[i] >= rows) {
                throw new IllegalArgumentException("label y[" + i + "] = " + y[i] + " is outside 0.." + (rows - 1));
            }
            if (t[i] < 0) throw new IllegalArgumentException("timestep t[" + i + "] = " + t[i] + " is negative");
        }
        return b;
    }

    private static int[][] deepCopy(int[][] a) {
        int[][] c = new int[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    /** Running totals of one forward call. */
    private final class Acc {
        final int batch;
        double macs, staticMacs, tokenMargin = Double.POSITIVE_INFINITY, widthMargin = Double.POSITIVE_INFINITY;
        long executedMacs;
        final double[] heads = new double[cfg.depth()], groups = new double[cfg.depth()], tokens = new double[cfg.depth()];

        Acc(int batch) {
            this.batch = batch;
        }

        ForwardStats stats() {
            for (int l = 0; l < heads.length; l++) {
                heads[l] /= batch;
                groups[l] /= batch;
                tokens[l] /= batch;
            }
            return new ForwardStats(batch, macs, staticMacs, heads, groups, tokens, tokenMargin, widthMargin, executedMacs);
        }
    }

    /** A flat float32 buffer with its NIO view; {@link #view} gives C-order (rows, cols) arrays over it. */
    private static final class Flat implements SplitMatmul.Rows {
        final INDArray a;
        final FloatBuffer fb;
        final ByteBuffer bb;

        Flat(long n) {
            a = Nd4j.create(DataType.FLOAT, Math.max(1, n));
            bb = NdBuffer.of(a).bytes();
            fb = bb.asFloatBuffer();
        }

        private record Shape(long firstRow, long rows, long cols) {}

        /** Views by shape, kept: creating one costs 10-20 µs, and a forward asks for about 200. */
        private final java.util.HashMap<Shape, INDArray> views = new java.util.HashMap<>();

        @Override
        public INDArray view(long firstRow, long rows, long cols) {
            if (views.size() > 8192) views.clear();   // SDT's kept-row counts vary; bound the cache (MatmulCalls too)
            return views.computeIfAbsent(new Shape(firstRow, rows, cols), key -> Nd4j.create(a.data(),
                    new long[]{rows, cols}, new long[]{cols, 1}, firstRow * cols, 'c'));
        }
    }

    /** Buffers for up to {@code cap} samples. */
    private final class Buffers {
        final int cap;
        final Flat patches, xs, xm, qkv, att, br, f, outTok;
        final float[] stage, logits;
        final int[] rows;

        Buffers(int cap) {
            this.cap = cap;
            long m = (long) cap * tokens;
            int pp = cfg.inChannels() * cfg.patchSize() * cfg.patchSize();
            patches = new Flat(m * pp);
            xs = new Flat(m * d);
            xm = new Flat(m * d);
            qkv = new Flat(m * 3 * d);
            att = new Flat(m * d);
            br = new Flat(m * d);
            f = new Flat(m * cfg.mlpHidden());
            outTok = new Flat(m * cfg.patchOut());
            stage = new float[(int) (m * Math.max(pp, cfg.patchOut()))];
            logits = new float[(int) m];
            rows = new int[(int) m];
        }

        void close() {
            for (Flat fl : new Flat[]{patches, xs, xm, qkv, att, br, f, outTok}) fl.a.close();
        }
    }

    private Buffers buffers(int n) {
        if (buf == null || buf.cap < n) {
            if (buf != null) {
                matmul.close();   // its contexts name the old buffers' views
                buf.close();
            }
            buf = new Buffers(n);
        }
        return buf;
    }

    @Override
    public void close() {
        matmul.close();
        if (buf != null) buf.close();
        buf = null;
        slices.close();
        w.close();
    }
}
