package org.dydit.dynamic;

import org.dydit.diffusion.ClassifierFreeGuidance;
import org.dydit.model.DyDiTForward;
import org.dydit.model.DyDiTOutput;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.testkit.Approx;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inference engine equals the masked SameDiff reference (eval mode) within 1e-4 on random tiny DyDiT models
 * with router margins, over many timesteps, labels, batch sizes (mixed timesteps included) and guidance scales;
 * the static engine equals the plain DiT graph. Shapes cover the vectorised attention path (head width and
 * tokens multiples of the vector length) and the scalar one.
 */
class DynamicEngineEqualityTest {
    static final double ATOL = 1e-4;

    static INDArray nd(float[] v, long... shape) {
        return Nd4j.create(v, shape, 'c');
    }

    static INDArray ndInts(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return Nd4j.createFromArray(l);
    }

    static INDArray ndTimes(int[] t) {
        float[] f = new float[t.length];
        for (int i = 0; i < t.length; i++) f[i] = t[i];
        return Nd4j.createFromArray(f);
    }

    static float[] flat(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /** Checks decisions and output of one dynamic case; returns the engine's stats. */
    static ForwardStats dynamicCase(DynamicEngine e, DyDiTForward ref, float[] x, long[] shape, int[] t, int[] y, String what) {
        float[] got = e.forward(x, shape, t, y);
        ForwardStats st = e.lastStats();
        assertTrue(st.minTokenMargin() >= MarginModels.MARGIN, what + ": token margin " + st.minTokenMargin());
        DyDiTOutput o = ref.forward(nd(x, shape), ndTimes(t), ndInts(y));
        DiTConfig c = e.config();
        // the reference's head/group masks equal the engine's active sets, sample by sample
        float[] am = flat(o.attnMask()), mm = flat(o.mlpMask());
        for (int b = 0; b < t.length; b++) {
            int[][] heads = e.activeHeads(t[b]), groups = e.activeGroups(t[b]);
            for (int l = 0; l < c.depth(); l++) {
                assertArrayEquals(mask(heads[l], c.numHeads()), slice(am, (b * c.depth() + l) * c.numHeads(), c.numHeads()),
                        what + ": heads of sample " + b + " layer " + l);
                assertArrayEquals(mask(groups[l], c.numHeads()), slice(mm, (b * c.depth() + l) * c.numHeads(), c.numHeads()),
                        what + ": groups of sample " + b + " layer " + l);
            }
        }
        // kept-token fraction per layer equals the reference's token mask mean
        float[] tm = flat(o.tokenMask());
        for (int l = 0; l < c.depth(); l++) {
            double s = 0;
            for (int b = 0; b < t.length; b++) for (int n = 0; n < c.tokens(); n++) s += tm[(b * c.depth() + l) * c.tokens() + n];
            assertEquals(s / (t.length * c.tokens()), st.tokenFraction()[l], 1e-12, what + ": kept tokens of layer " + l);
        }
        Approx.assertClose(what, flat(o.out()), got, ATOL, 0);
        return st;
    }

    static float[] mask(int[] active, int h) {
        float[] m = new float[h];
        for (int a : active) m[a] = 1;
        return m;
    }

    static float[] slice(float[] a, int off, int n) {
        float[] s = new float[n];
        System.arraycopy(a, off, s, 0, n);
        return s;
    }

    void checkDynamic(DiTConfig cfg, long seed) throws Exception {
        DiTModel model = MarginModels.model(cfg, seed);
        DyDiTForward ref = new DyDiTForward(model);
        Random r = new Random(seed);
        int per = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        int[] times = {0, 1, 3, 57, 249, 250, 499, 500, 642, 873, 998, 999};
        int[] batches = {1, 2, 3, 5};
        double keptMin = 1, keptMax = 0;
        int cases = 0;
        try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC)) {
            for (int i = 0; i < times.length; i++) {
                int b = batches[i % batches.length];
                int[] t = new int[b], y = new int[b];
                for (int j = 0; j < b; j++) {
                    t[j] = times[i];
                    y[j] = r.nextInt(cfg.numClasses() + 1);       // the null class included
                }
                ForwardStats st = dynamicCase(e, ref, MarginModels.normal(b * per, r), new long[]{b, cfg.inChannels(),
                        cfg.inputSize(), cfg.inputSize()}, t, y, "t=" + times[i] + " batch " + b);
                for (double f : st.tokenFraction()) {
                    keptMin = Math.min(keptMin, f);
                    keptMax = Math.max(keptMax, f);
                }
                cases++;
            }
            // a batch mixing timesteps runs per timestep and still equals the reference
            int[] t = {999, 17, 500, 17, 250, 999};
            int[] y = {0, 1, 2, 3, 4, cfg.numClasses()};
            dynamicCase(e, ref, MarginModels.normal(t.length * per, r), new long[]{t.length, cfg.inChannels(),
                    cfg.inputSize(), cfg.inputSize()}, t, y, "mixed timesteps");
            // classifier-free guidance: one batch of 2n through the engine vs the reference's forward_with_cfg
            for (double scale : new double[]{1.5, 4.0}) {
                for (int n : new int[]{1, 3}) {
                    int tt = times[(int) (scale * 3 + n) % times.length];
                    float[] x = MarginModels.normal(n * per, r);
                    int[] ts = new int[n], ys = new int[n];
                    for (int j = 0; j < n; j++) {
                        ts[j] = tt;
                        ys[j] = r.nextInt(cfg.numClasses());
                    }
                    float[] got = new ClassifierFreeGuidance(e, scale, cfg.numClasses())
                            .apply(x, new long[]{n, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()}, ts, ys);
                    assertTrue(e.lastStats().minTokenMargin() >= MarginModels.MARGIN, "cfg token margin");
                    assertEquals(2 * n, e.lastStats().batch(), "guidance runs as one batch of 2n");
                    float[] x2 = new float[2 * n * per];
                    System.arraycopy(x, 0, x2, 0, x.length);
                    int[] t2 = new int[2 * n], y2 = new int[2 * n];
                    for (int j = 0; j < n; j++) {
                        t2[j] = t2[n + j] = tt;
                        y2[j] = ys[j];
                        y2[n + j] = cfg.numClasses();
                    }
                    INDArray want = ref.forwardWithCfg(nd(x2, 2L * n, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()),
                            ndTimes(t2), ndInts(y2), scale).out();
                    float[] w = flat(want);
                    Approx.assertClose("cfg " + scale + " n " + n, slice(w, 0, got.length), got, ATOL, 0);
                }
            }
        }
        assertEquals(times.length, cases);
        // the fixtures exercise SDT for real: some tokens skipped, some kept
        assertTrue(keptMin < 0.9 && keptMax > 0.1, "kept fractions " + keptMin + ".." + keptMax);
    }

    @Test
    void dynamicEqualsMaskedReferenceVectorShapes() throws Exception {
        // 64 tokens, head width 32: the register-blocked attention path
        checkDynamic(MarginModels.config(16, 2, 4, 128, 4, 2, true), 11);
    }

    @Test
    void dynamicEqualsMaskedReferenceSmallShapes() throws Exception {
        // 16 tokens, head width 8, 3 channels: the scalar attention path, 4 blocks
        checkDynamic(MarginModels.config(8, 2, 3, 32, 4, 4, true), 12);
    }

    @Test
    void staticEqualsDiTGraph() throws Exception {
        for (boolean dynamicConfig : new boolean[]{false, true}) {
            DiTConfig cfg = MarginModels.config(8, 2, 4, 64, 4, 3, dynamicConfig);
            DiTModel model = MarginModels.model(cfg, 5);
            Random r = new Random(3);
            int per = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
            try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
                for (int[] t : new int[][]{{0}, {999, 999}, {3, 400, 3}, {250, 250, 250, 250}}) {
                    int b = t.length;
                    int[] y = new int[b];
                    for (int j = 0; j < b; j++) y[j] = r.nextInt(cfg.numClasses() + 1);
                    float[] x = MarginModels.normal(b * per, r);
                    long[] shape = {b, cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
                    float[] got = e.forward(x, shape, t, y);
                    INDArray want = model.forward(nd(x, shape), ndTimes(t), ndInts(y));
                    Approx.assertClose("static t=" + t[0] + " b=" + b, flat(want), got, ATOL, 0);
                    assertEquals(1.0, e.lastStats().flopsRatio(), 1e-12);
                }
            }
        }
    }

    @Test
    void oddTokenCountAndDynamicDiTConfigMatch() throws Exception {
        // 9 tokens (not a multiple of the 4-row blocks) with a dynamic model: padded query rows must not leak
        DiTConfig cfg = MarginModels.config(6, 2, 3, 32, 4, 2, true);
        checkDynamicShort(cfg, 31);
    }

    private void checkDynamicShort(DiTConfig cfg, long seed) throws Exception {
        DiTModel model = MarginModels.model(cfg, seed);
        DyDiTForward ref = new DyDiTForward(model);
        Random r = new Random(seed);
        int per = cfg.inChannels() * cfg.inputSize() * cfg.inputSize();
        try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC)) {
            for (int t : new int[]{5, 480, 990}) {
                int[] ts = {t, t, t}, ys = {1, 2, cfg.numClasses()};
                dynamicCase(e, ref, MarginModels.normal(3 * per, r), new long[]{3, cfg.inChannels(), cfg.inputSize(),
                        cfg.inputSize()}, ts, ys, "odd tokens t=" + t);
            }
        }
    }
}
