package org.dydit.engine;

import org.dydit.kernels.NdBuffer;
import org.dydit.kernels.TrainingKernels;
import org.dydit.kernels.Gemm;
import org.dydit.kernels.KernelThreads;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.PositionEmbedding;
import org.dydit.model.TimestepFrequencies;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

import static org.dydit.engine.Profile.Phase.ELEMENTWISE;
import static org.dydit.engine.Profile.Phase.GEMM;
import static org.dydit.engine.Profile.Phase.ROUTERS;

/**
 * The hand-written DiT: forward and backward of the whole model in plain ND4J (gemm into preallocated
 * buffers) plus fused Java kernels, in float32 (training, sampling) or float64 (gradient checks).
 *
 * <p>{@link #forward} keeps every activation the backward pass needs; {@link #backward} then writes the gradient
 * of every parameter into a {@link DiTParams} store with the same layout. Buffers are allocated once per batch
 * size. DyDiT's routers act through {@link #setMasks per-block masks}; the masks' gradients come back in the
 * same objects. Not thread-safe: one engine per thread.
 */
public final class DiTEngine implements AutoCloseable {
    private final DiTConfig cfg;
    private final DataType dt;
    private final DiTParams params;
    private final BlockParams[] blocks;
    private final INDArray pos;           // (T, D), fixed
    private final Profile profile = new Profile();
    private final PatchLayout.Cache layout;
    private BlockMasks[] masks;
    private State st;

    public DiTEngine(DiTParams params) {
        this.params = params;
        this.cfg = params.config();
        this.layout = new PatchLayout.Cache(cfg);
        this.dt = params.dtype();
        this.blocks = new BlockParams[cfg.depth()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = BlockParams.of(params, i);
        double[] pe = PositionEmbedding.sinCos2d(cfg.hiddenSize(), cfg.gridSize());
        // The reference casts the float64 table to float32.
        this.pos = dt == DataType.DOUBLE ? Nd4j.create(pe, new long[]{cfg.tokens(), cfg.hiddenSize()}, 'c')
                : Nd4j.create(toFloat(pe), new long[]{cfg.tokens(), cfg.hiddenSize()}, 'c');
    }

    public DiTConfig config() {
        return cfg;
    }

    public DiTParams params() {
        return params;
    }

    public Profile profile() {
        return profile;
    }

    /** Per-block masks (length depth, entries may be null), or null for the plain DiT. */
    public void setMasks(BlockMasks[] masks) {
        if (masks != null && masks.length != cfg.depth()) {
            throw new IllegalArgumentException("need " + cfg.depth() + " block masks, got " + masks.length);
        }
        this.masks = masks;
    }

    /**
     * DyDiT's timestep (width) routers read the timestep embedding E_t: {@link #forward} gets E_t (B, D) after the
     * timestep MLP and before the first block (it sets the blocks' head and channel masks); {@link #backward} gets
     * d loss / d E_t (B, D) after the blocks' backward and adds the routers' share to it, before the timestep MLP's
     * backward reads it.
     */
    public interface TimestepHook {
        void forward(INDArray tEmb);

        void backward(INDArray dTEmb);
    }

    private TimestepHook timestepHook;

    /** The timestep routers' hook, or null. */
    public void setTimestepHook(TimestepHook hook) {
        this.timestepHook = hook;
    }

    /** Buffers of one batch size. */
    private final class State {
        final int b;
        final DiTBlock.Dims dims;
        final INDArray patches;      // (M, C p p)
        final INDArray[] xs;         // residual stream: input of block i, xs[depth] = final-layer input
        final BlockActivations[] acts;
        final BlockScratch scratch;
        final INDArray tFreq, tHidden, tSilu, tEmb;   // (B, 256), (B, D) x3
        final INDArray c, siluC, dSiluC, dC, dTmp;    // (B, D)
        final INDArray adaF, xhatF, rstdF, xmF;       // final layer: (B, 2D), (M, D), (M), (M, D)
        final INDArray outTok, out;                   // (M, p p Cout), (B, Cout, H, W)
        final INDArray dOutTok, dX, dAdaF;            // backward temporaries
        int[] labels;

        State(int b) {
            this.b = b;
            int t = cfg.tokens(), d = cfg.hiddenSize();
            int rows = b * t;
            dims = new DiTBlock.Dims(b, t, d, cfg.numHeads(), cfg.mlpHidden());
            int pp = cfg.inChannels() * cfg.patchSize() * cfg.patchSize();
            patches = Nd4j.create(dt, rows, pp);
            xs = new INDArray[cfg.depth() + 1];
            for (int i = 0; i < xs.length; i++) xs[i] = Nd4j.create(dt, rows, d);
            acts = new BlockActivations[cfg.depth()];
            for (int i = 0; i < acts.length; i++) acts[i] = new BlockActivations(dt, b, t, d, cfg.numHeads(), cfg.mlpHidden());
            scratch = new BlockScratch(dt, b, t, d, cfg.numHeads(), cfg.mlpHidden());
            tFreq = Nd4j.create(dt, b, TimestepFrequencies.DIM);
            tHidden = Nd4j.create(dt, b, d);
            tSilu = Nd4j.create(dt, b, d);
            tEmb = Nd4j.create(dt, b, d);
            c = Nd4j.create(dt, b, d);
            siluC = Nd4j.create(dt, b, d);
            dSiluC = Nd4j.create(dt, b, d);
            dC = Nd4j.create(dt, b, d);
            dTmp = Nd4j.create(dt, b, d);
            adaF = Nd4j.create(dt, b, 2L * d);
            xhatF = Nd4j.create(dt, rows, d);
            rstdF = Nd4j.create(dt, rows);
            xmF = Nd4j.create(dt, rows, d);
            outTok = Nd4j.create(dt, rows, cfg.patchOut());
            out = Nd4j.create(dt, b, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
            dOutTok = Nd4j.create(dt, rows, cfg.patchOut());
            dX = Nd4j.create(dt, rows, d);
            dAdaF = Nd4j.create(dt, b, 2L * d);
        }

        void close() {
            for (BlockActivations a : acts) a.close();
            scratch.close();
            for (INDArray x : xs) x.close();
            for (INDArray x : new INDArray[]{patches, tFreq, tHidden, tSilu, tEmb, c, siluC, dSiluC, dC, dTmp, adaF,
                    xhatF, rstdF, xmF, outTok, out, dOutTok, dX, dAdaF}) x.close();
        }
    }

    private State state(int b) {
        if (st == null || st.b != b) {
            if (st != null) st.close();
            st = new State(b);
        }
        return st;
    }

    /**
     * The model output (B, 2C, H, W) for latents {@code x} (B, C, H, W), original-scale timesteps {@code t} and labels
     * {@code y} ({@code num_classes} = null class; label dropout is the caller's business). The returned array is an
     * engine buffer, overwritten by the next forward call: copy it to keep it.
     */
    public INDArray forward(INDArray x, double[] t, int[] y) {
        int b = checkInputs(x, t, y);
        State s = state(b);
        s.labels = y.clone();
        int d = cfg.hiddenSize(), tok = cfg.tokens();
        profile.start();
        // patch embedding: one gemm over all patches, + bias + fixed position embedding
        patchify(x, s.patches);
        profile.lap(ELEMENTWISE);
        Gemm.gemm(s.patches, params.get(DiTKeys.PATCH_W), s.xs[0], false, true, 0);
        profile.lap(GEMM);
        addBiasAndPos(NdBuffer.of(s.xs[0]), NdBuffer.of(params.get(DiTKeys.PATCH_B)), NdBuffer.of(pos), tok, d);
        // timestep embedder: [cos, sin](t f) -> Linear -> SiLU -> Linear
        timestepFrequencies(t, NdBuffer.of(s.tFreq));
        Gemm.gemm(s.tFreq, params.get(DiTKeys.T_MLP0 + ".weight"), s.tHidden, false, true, 0);
        TrainingKernels.addRowBias(NdBuffer.of(s.tHidden), NdBuffer.of(params.get(DiTKeys.T_MLP0 + ".bias")));
        TrainingKernels.silu(NdBuffer.of(s.tHidden), NdBuffer.of(s.tSilu));
        Gemm.gemm(s.tSilu, params.get(DiTKeys.T_MLP2 + ".weight"), s.tEmb, false, true, 0);
        TrainingKernels.addRowBias(NdBuffer.of(s.tEmb), NdBuffer.of(params.get(DiTKeys.T_MLP2 + ".bias")));
        // c = t_emb + label embedding; every adaLN reads SiLU(c)
        NdBuffer table = NdBuffer.of(params.get(DiTKeys.LABEL_TABLE));
        NdBuffer cB = NdBuffer.of(s.c), te = NdBuffer.of(s.tEmb);
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < d; j++) cB.set(i * d + j, te.get(i * d + j) + table.get(y[i] * d + j));
        }
        TrainingKernels.silu(cB, NdBuffer.of(s.siluC));
        profile.lap(ELEMENTWISE);
        if (timestepHook != null) {
            timestepHook.forward(s.tEmb);
            profile.lap(ROUTERS);
        }
        for (int i = 0; i < cfg.depth(); i++) {
            DiTBlock.forward(s.dims, blocks[i], s.acts[i], s.scratch, s.siluC, s.xs[i], s.xs[i + 1], mask(i), profile);
        }
        // final layer: adaLN (shift, scale) -> LN -> modulate -> Linear; unpatchify adds the bias
        profile.start();
        Gemm.gemm(s.siluC, params.get(DiTKeys.FINAL_ADALN + ".weight"), s.adaF, false, true, 0);
        profile.lap(GEMM);
        NdBuffer adaF = NdBuffer.of(s.adaF);
        TrainingKernels.addRowBias(adaF, NdBuffer.of(params.get(DiTKeys.FINAL_ADALN + ".bias")));
        TrainingKernels.lnModulate(NdBuffer.of(s.xs[cfg.depth()]), NdBuffer.of(s.xhatF), NdBuffer.of(s.rstdF), adaF, 2 * d, 0, d,
                NdBuffer.of(s.xmF), tok, d, DiTBlock.LN_EPS);
        profile.lap(ELEMENTWISE);
        Gemm.gemm(s.xmF, params.get(DiTKeys.FINAL_LINEAR + ".weight"), s.outTok, false, true, 0);
        profile.lap(GEMM);
        unpatchify(NdBuffer.of(s.outTok), NdBuffer.of(params.get(DiTKeys.FINAL_LINEAR + ".bias")), NdBuffer.of(s.out), b);
        profile.lap(ELEMENTWISE);
        return s.out;
    }

    /**
     * Back-propagates {@code dOut} = d loss / d output (B, 2C, H, W) through the last {@link #forward} and writes
     * every parameter's gradient into {@code grads} (overwritten, not accumulated).
     */
    public void backward(INDArray dOut, DiTParams grads) {
        State s = st;
        if (s == null || s.labels == null) throw new IllegalStateException("backward needs a forward pass first");
        if (!Arrays.equals(dOut.shape(), s.out.shape())) {
            throw new IllegalArgumentException("dOut has shape " + Arrays.toString(dOut.shape()) + ", expected "
                    + Arrays.toString(s.out.shape()));
        }
        int b = s.b, d = cfg.hiddenSize(), tok = cfg.tokens();
        INDArray dOutC = dOut.ordering() == 'c' && dOut.elementWiseStride() == 1 && dOut.dataType() == dt ? dOut : dOut.castTo(dt).dup('c');
        profile.start();
        // final layer
        patchifyOutput(NdBuffer.of(dOutC), NdBuffer.of(s.dOutTok), b);
        TrainingKernels.columnSums(NdBuffer.of(s.dOutTok), NdBuffer.of(grads.get(DiTKeys.FINAL_LINEAR + ".bias")));
        profile.lap(ELEMENTWISE);
        Gemm.gemm(s.dOutTok, s.xmF, grads.get(DiTKeys.FINAL_LINEAR + ".weight"), true, false, 0);
        Gemm.gemm(s.dOutTok, params.get(DiTKeys.FINAL_LINEAR + ".weight"), s.scratch.dxm, false, false, 0);
        profile.lap(GEMM);
        s.dX.assign(0);
        NdBuffer dAdaF = NdBuffer.of(s.dAdaF);
        TrainingKernels.lnModulateBackward(NdBuffer.of(s.scratch.dxm), NdBuffer.of(s.xhatF), NdBuffer.of(s.rstdF), NdBuffer.of(s.adaF), 2 * d, 0, d,
                dAdaF, NdBuffer.of(s.dX), tok, d);
        TrainingKernels.columnSums(dAdaF, NdBuffer.of(grads.get(DiTKeys.FINAL_ADALN + ".bias")));
        profile.lap(ELEMENTWISE);
        Gemm.gemm(s.dAdaF, s.siluC, grads.get(DiTKeys.FINAL_ADALN + ".weight"), true, false, 0);
        Gemm.gemm(s.dAdaF, params.get(DiTKeys.FINAL_ADALN + ".weight"), s.dSiluC, false, false, 0);
        profile.lap(GEMM);
        for (int i = cfg.depth() - 1; i >= 0; i--) {
            DiTBlock.backward(s.dims, blocks[i], BlockParams.of(grads, i), s.acts[i], s.scratch, s.siluC, s.dSiluC,
                    s.dX, mask(i), profile);
        }
        profile.start();
        // c = t_emb + y_emb
        TrainingKernels.siluBackward(NdBuffer.of(s.c), NdBuffer.of(s.dSiluC), NdBuffer.of(s.dC), false);
        INDArray gTable = grads.get(DiTKeys.LABEL_TABLE);
        gTable.assign(0);
        NdBuffer gt = NdBuffer.of(gTable), dc = NdBuffer.of(s.dC);
        for (int i = 0; i < b; i++) for (int j = 0; j < d; j++) gt.add(s.labels[i] * d + j, dc.get(i * d + j));
        // from here on dC stands for d loss / d E_t, which also reaches E_t through the timestep routers
        if (timestepHook != null) {
            profile.lap(ELEMENTWISE);
            timestepHook.backward(s.dC);
            profile.lap(ROUTERS);
        }
        // timestep MLP
        TrainingKernels.columnSums(dc, NdBuffer.of(grads.get(DiTKeys.T_MLP2 + ".bias")));
        profile.lap(ELEMENTWISE);
        Gemm.gemm(s.dC, s.tSilu, grads.get(DiTKeys.T_MLP2 + ".weight"), true, false, 0);
        Gemm.gemm(s.dC, params.get(DiTKeys.T_MLP2 + ".weight"), s.dTmp, false, false, 0);
        profile.lap(GEMM);
        TrainingKernels.siluBackward(NdBuffer.of(s.tHidden), NdBuffer.of(s.dTmp), NdBuffer.of(s.dTmp), false);
        TrainingKernels.columnSums(NdBuffer.of(s.dTmp), NdBuffer.of(grads.get(DiTKeys.T_MLP0 + ".bias")));
        profile.lap(ELEMENTWISE);
        Gemm.gemm(s.dTmp, s.tFreq, grads.get(DiTKeys.T_MLP0 + ".weight"), true, false, 0);
        // patch embedding (pos_embed is fixed)
        Gemm.gemm(s.dX, s.patches, grads.get(DiTKeys.PATCH_W), true, false, 0);
        profile.lap(GEMM);
        TrainingKernels.columnSums(NdBuffer.of(s.dX), NdBuffer.of(grads.get(DiTKeys.PATCH_B)));
        profile.lap(ELEMENTWISE);
    }

    private BlockMasks mask(int i) {
        return masks == null ? null : masks[i];
    }

    private int checkInputs(INDArray x, double[] t, int[] y) {
        int side = cfg.inputSize();
        if (x.rank() != 4 || x.size(1) != cfg.inChannels() || x.size(2) != side || x.size(3) != side) {
            throw new IllegalArgumentException("x has shape " + Arrays.toString(x.shape()) + " but the model takes (B, "
                    + cfg.inChannels() + ", " + side + ", " + side + ")");
        }
        int b = (int) x.size(0);
        if (t.length != b || y.length != b) {
            throw new IllegalArgumentException("batch sizes differ: x has " + b + " samples, t " + t.length + ", y " + y.length);
        }
        int rows = cfg.labelTableRows();
        for (int i = 0; i < b; i++) {
            if (y[i] < 0 || y[i] >= rows) {
                throw new IllegalArgumentException("label y[" + i + "] = " + y[i] + " is outside 0.." + (rows - 1));
            }
        }
        return b;
    }

    // ---- layout helpers

    /** x (B, C, H, W) -> the patch rows (B*T, C*p*p) of {@link PatchLayout#input}. */
    private void patchify(INDArray x, INDArray patches) {
        INDArray xc = x.dataType() == dt && x.ordering() == 'c' && x.elementWiseStride() == 1 ? x : x.castTo(dt).dup('c');
        NdBuffer src = NdBuffer.of(xc), dst = NdBuffer.of(patches);
        int[] map = layout.input((int) x.size(0));
        KernelThreads.range(map.length, 4096, (k0, k1) -> {
            for (int k = k0; k < k1; k++) dst.set(k, src.get(map[k]));
        });
    }

    /** The final layer's rows (B*T, p*p*Cout) + bias -> (B, Cout, H, W), through {@link PatchLayout#output}. */
    private void unpatchify(NdBuffer tok, NdBuffer bias, NdBuffer out, int b) {
        int[] map = layout.output(b);
        int w = bias.n;
        for (int k = 0; k < map.length; k++) out.set(map[k], tok.get(k) + bias.get(k % w));
    }

    /** The adjoint of {@link #unpatchify} without bias: (B, Cout, H, W) -> (B*T, p*p*Cout). */
    private void patchifyOutput(NdBuffer img, NdBuffer tok, int b) {
        int[] map = layout.output(b);
        for (int k = 0; k < map.length; k++) tok.set(k, img.get(map[k]));
    }

    private static void addBiasAndPos(NdBuffer x, NdBuffer bias, NdBuffer pos, int tokens, int d) {
        int rows = x.n / d;
        KernelThreads.range(rows, 64, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int pr = (r % tokens) * d;
                for (int j = 0; j < d; j++) x.add(r * d + j, bias.get(j) + pos.get(pr + j));
            }
        });
    }

    /** [cos(t f), sin(t f)] (cos first); in float32 the argument is rounded as the reference's float32 product. */
    private void timestepFrequencies(double[] t, NdBuffer out) {
        double[] row = new double[TimestepFrequencies.DIM];
        for (int i = 0; i < t.length; i++) {
            TimestepFrequencies.features(t[i], dt != DataType.DOUBLE, row, 0);
            out.write(i * row.length, row, 0, row.length);
        }
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    @Override
    public void close() {
        if (st != null) st.close();
        st = null;
    }
}
