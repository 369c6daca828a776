package org.dydit.dynamic;

import org.dydit.diffusion.ClassifierFreeGuidance;
import org.dydit.model.DyDiTForward;
import org.dydit.model.DyDiTOutput;
import org.dydit.formats.SafeTensors;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Random;

import static org.dydit.dynamic.DynamicEngineEqualityTest.flat;
import static org.dydit.dynamic.DynamicEngineEqualityTest.nd;
import static org.dydit.dynamic.DynamicEngineEqualityTest.ndInts;
import static org.dydit.dynamic.DynamicEngineEqualityTest.ndTimes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inference engine on the golden models ({@code $DYDIT_GOLDEN/dydit}, {@code dit}): the reference PyTorch
 * outputs, and the masked SameDiff reference over many timesteps, labels and batch sizes. Sizes come only from
 * the files.
 */
class DynamicEngineGoldenTest {

    static int[] ints(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }

    @Test
    void dydItMatchesReferenceOutputs() throws Exception {
        Path dir = Golden.path("dydit");
        DiTModel model = DiTModel.load(dir);
        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"));
             DynamicEngine dyn = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC);
             DynamicEngine full = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
            float[] x = cases.get("x").toFloats();
            long[] shape = cases.shape("x");
            int[] t = ints(cases.get("t").toLongs());
            int[] y = ints(cases.get("y").toLongs());
            Approx.assertClose("dynamic out", cases.get("out").toFloats(), dyn.forward(x, shape, t, y), Approx.F32_ATOL, Approx.F32_RTOL);
            // the reference's masks, as averages, equal what the engine ran
            float[] tm = cases.get("token_mask").toFloats();
            DiTConfig c = model.config();
            for (int l = 0; l < c.depth(); l++) {
                double s = 0;
                for (int b = 0; b < t.length; b++) for (int n = 0; n < c.tokens(); n++) s += tm[(b * c.depth() + l) * c.tokens() + n];
                assertEquals(s / (t.length * c.tokens()), dyn.lastStats().tokenFraction()[l], 1e-12, "kept tokens, layer " + l);
            }
            Approx.assertClose("complete_out", cases.get("complete_out").toFloats(), full.forward(x, shape, t, y),
                    Approx.F32_ATOL, Approx.F32_RTOL);
        }
    }

    @Test
    void ditMatchesReferenceOutputsAndGuidance() throws Exception {
        Path dir = Golden.path("dit");
        DiTModel model = DiTModel.load(dir);
        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"));
             DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.STATIC)) {
            Approx.assertClose("out", cases.get("out").toFloats(), e.forward(cases.get("x").toFloats(), cases.shape("x"),
                    ints(cases.get("t").toLongs()), ints(cases.get("y").toLongs())), Approx.F32_ATOL, Approx.F32_RTOL);
            // forward_with_cfg reads only the first half of cfg_x; the wrapper runs [x; x] with [y; null] as one batch
            long[] s2 = cases.shape("cfg_x");
            int n = (int) s2[0] / 2;
            float[] x2 = cases.get("cfg_x").toFloats();
            float[] x = new float[x2.length / 2];
            System.arraycopy(x2, 0, x, 0, x.length);
            int[] t2 = ints(cases.get("cfg_t").toLongs()), y2 = ints(cases.get("cfg_y").toLongs());
            int[] t = new int[n], y = new int[n];
            System.arraycopy(t2, 0, t, 0, n);
            System.arraycopy(y2, 0, y, 0, n);
            for (int i = 0; i < n; i++) assertEquals(model.config().numClasses(), y2[n + i], "cfg_y second half is null");
            double scale = cases.get("cfg_scale").toDoubles()[0];
            float[] got = new ClassifierFreeGuidance(e, scale, model.config().numClasses())
                    .apply(x, new long[]{n, s2[1], s2[2], s2[3]}, t, y);
            float[] want = cases.get("cfg_out").toFloats();
            float[] wantFirst = new float[got.length];
            System.arraycopy(want, 0, wantFirst, 0, got.length);
            Approx.assertClose("cfg_out (conditional half)", wantFirst, got, Approx.F32_ATOL, Approx.F32_RTOL);
        }
    }

    /**
     * Timesteps across the whole range, random labels and inputs, batch sizes 1..4: the engine equals the
     * SameDiff masked forward within 1e-4 whenever both took the same decisions. The golden routers guarantee a
     * margin only on the fixture's own cases, so a decision may differ where a logit is within float rounding of
     * 0: such a case must show the difference at a logit below 1e-4 and is then not compared; most cases must be.
     */
    @Test
    void dydItEqualsMaskedReferenceOverTimesteps() throws Exception {
        Path dir = Golden.path("dydit");
        DiTModel model = DiTModel.load(dir);
        DiTConfig c = model.config();
        DyDiTForward ref = new DyDiTForward(model);
        Random r = new Random(7);
        int per = c.inChannels() * c.inputSize() * c.inputSize();
        int compared = 0, total = 0;
        try (DynamicEngine e = new DynamicEngine(model, DynamicEngine.Mode.DYNAMIC)) {
            e.recordTokenLogits(true);
            for (int t = 0; t < 1000; t += 37) {
                int b = 1 + total % 4;
                total++;
                int[] ts = new int[b], ys = new int[b];
                for (int i = 0; i < b; i++) {
                    ts[i] = t;
                    ys[i] = r.nextInt(c.numClasses() + 1);
                }
                float[] x = MarginModels.normal(b * per, r);
                long[] shape = {b, c.inChannels(), c.inputSize(), c.inputSize()};
                float[] got = e.forward(x, shape, ts, ys);
                DyDiTOutput o = ref.forward(nd(x, shape), ndTimes(ts), ndInts(ys));
                boolean same = sameWidths(e, t, o, b, c) && sameTokens(e, o, b, c, "t=" + t);
                if (same) {
                    Approx.assertClose("t=" + t + " batch " + b, flat(o.out()), got, 1e-4, 0);
                    compared++;
                } else {
                    assertTrue(e.widthMargin(t) < 1e-4 || e.lastStats().minTokenMargin() < 1e-4,
                            "t=" + t + ": decisions differ although every logit is at least 1e-4 from 0");
                }
            }
        }
        System.err.println("golden DyDiT sweep: compared " + compared + " of " + total + " cases");
        assertTrue(compared >= total * 3 / 4, "compared " + compared + " of " + total + " cases");
    }

    private static boolean sameWidths(DynamicEngine e, int t, DyDiTOutput o, int b, DiTConfig c) {
        float[] am = flat(o.attnMask()), mm = flat(o.mlpMask());
        int[][] heads = e.activeHeads(t), groups = e.activeGroups(t);
        for (int i = 0; i < b; i++) {
            for (int l = 0; l < c.depth(); l++) {
                float[] wantH = DynamicEngineEqualityTest.mask(heads[l], c.numHeads());
                float[] wantG = DynamicEngineEqualityTest.mask(groups[l], c.numHeads());
                for (int h = 0; h < c.numHeads(); h++) {
                    int k = (i * c.depth() + l) * c.numHeads() + h;
                    if (am[k] != wantH[h] || mm[k] != wantG[h]) return false;
                }
            }
        }
        return true;
    }

    private static boolean sameTokens(DynamicEngine e, DyDiTOutput o, int b, DiTConfig c, String what) {
        float[] tm = flat(o.tokenMask());
        for (int l = 0; l < c.depth(); l++) {
            float[] logits = e.tokenLogits(l);
            for (int i = 0; i < b; i++) {
                for (int n = 0; n < c.tokens(); n++) {
                    float want = tm[(i * c.depth() + l) * c.tokens() + n];
                    float mine = logits[i * c.tokens() + n] > 0 ? 1f : 0f;
                    if (want != mine) return false;
                }
            }
        }
        return true;
    }
}
