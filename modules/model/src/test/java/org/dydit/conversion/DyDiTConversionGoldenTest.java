package org.dydit.conversion;

import org.dydit.engine.BlockMasks;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.model.DyDiTForward;
import org.dydit.model.DyDiTOutput;
import org.dydit.model.NdTensors;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conversion against the reference DyDiT ({@code $DYDIT_GOLDEN/dydit}): its weights without the routers are a
 * DiT folder; converting that folder back must give the model the reference ran. Expected values are the
 * reference's outputs only:
 * <ul>
 *   <li>with its new routers (every head, group and token on) the converted model computes the reference's
 *   {@code complete_out}, with and without importance ordering (the ordering preserves the function);</li>
 *   <li>the plain conversion with the reference's routers put back reproduces the reference's masks exactly and
 *   its dynamic {@code out} (every weight kept under the key and layout the reference reads);</li>
 *   <li>the importance-ordered conversion under the reference's masks, permuted by the orders the ordering
 *   reports, reproduces {@code out} (the heads and groups moved with their weights, q, k, v, proj, fc1, fc2).</li>
 * </ul>
 */
class DyDiTConversionGoldenTest {

    @Test
    void conversionOfTheReferenceDyDiTsWeightsReproducesTheReference(@TempDir Path tmp) throws Exception {
        Path dir = Golden.path("dydit");
        DiTModel ref = DiTModel.load(dir);
        DiTConfig cfg = ref.config();
        assertTrue(cfg.dynamic(), dir.resolve("config.json") + " should say \"dynamic\": true");
        LinkedHashMap<String, Tensor> routers = new LinkedHashMap<>(), plain = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : ref.weights().entrySet()) {
            (DiTKeys.isRouterKey(e.getKey()) ? routers : plain).put(e.getKey(), e.getValue());
        }
        assertEquals(4 * cfg.depth() * 2, routers.size(), "router tensors in " + dir.resolve("model.safetensors"));
        Path ditDir = tmp.resolve("dit");
        DiTModel.of(cfg.withDynamic(false), plain, "reference DyDiT without routers", "reference config").save(ditDir);

        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            INDArray x = NdTensors.toNd(cases.get("x"), DataType.FLOAT);
            INDArray t = NdTensors.toNd(cases.get("t"), DataType.FLOAT);
            INDArray y = NdTensors.toNd(cases.get("y"), DataType.INT64);
            float[] complete = cases.get("complete_out").toFloats(), dynamic = cases.get("out").toFloats();

            for (boolean reorder : new boolean[]{false, true}) {
                String what = reorder ? "converted with importance ordering" : "converted";
                DiTModel dy = DyDiTConversion.loadAsDyDiT(ditDir, 7, reorder);
                assertTrue(dy.config().dynamic(), what + ": not a DyDiT");
                DyDiTOutput o = new DyDiTForward(dy).forward(x, t, y);
                assertEquals(o.attnMask().length(), o.attnMask().sumNumber().longValue(), what + ": every head on");
                assertEquals(o.mlpMask().length(), o.mlpMask().sumNumber().longValue(), what + ": every group on");
                assertEquals(o.tokenMask().length(), o.tokenMask().sumNumber().longValue(), what + ": every token on");
                Approx.assertClose(what + " vs the reference's complete_out", complete, NdTensors.toTensor(o.out()).toFloats(),
                        Approx.F32_ATOL, Approx.F32_RTOL);
                for (int l = 0; l < cfg.depth(); l++) {
                    for (float v : dy.weights().get(DiTKeys.attnRouter(l) + ".bias").toFloats()) assertEquals(DiTInit.WIDTH_ROUTER_BIAS, v);
                    for (float v : dy.weights().get(DiTKeys.mlpRouter(l) + ".bias").toFloats()) assertEquals(DiTInit.WIDTH_ROUTER_BIAS, v);
                    assertEquals(DiTInit.TOKEN_ROUTER_BIAS, dy.weights().get(DiTKeys.tokenRouter2(l) + ".bias").toFloats()[0]);
                }
            }

            // the plain conversion with the reference's routers is the reference DyDiT
            LinkedHashMap<String, Tensor> back = new LinkedHashMap<>(DyDiTConversion.loadAsDyDiT(ditDir, 7, false).weights());
            back.putAll(routers);
            DyDiTOutput o = new DyDiTForward(DiTModel.of(cfg, back, "converted + reference routers", "reference config"))
                    .forward(x, t, y);
            for (String mask : new String[]{"attn_mask", "mlp_mask", "token_mask"}) {
                INDArray got = mask.equals("attn_mask") ? o.attnMask() : mask.equals("mlp_mask") ? o.mlpMask() : o.tokenMask();
                assertArrayEquals(cases.get(mask).toFloats(), NdTensors.toTensor(got.castTo(DataType.FLOAT)).toFloats(),
                        "converted + reference routers: " + mask);
            }
            Approx.assertClose("converted + reference routers vs the reference's out", dynamic,
                    NdTensors.toTensor(o.out()).toFloats(), Approx.F32_ATOL, Approx.F32_RTOL);

            // importance ordering: the reference's masks follow the heads and groups to their new places
            ImportanceOrdering.Result r = ImportanceOrdering.apply(cfg.withDynamic(false), plain);
            boolean moved = false;
            for (int l = 0; l < cfg.depth(); l++) {
                for (int h = 0; h < cfg.numHeads(); h++) moved |= r.headOrder()[l][h] != h || r.groupOrder()[l][h] != h;
            }
            assertTrue(moved, "importance ordering leaves the reference's heads and groups in place: this check would see nothing");
            DiTModel ordered = DyDiTConversion.loadAsDyDiT(ditDir, 7, true);
            assertArrayEquals(r.weights().get(DiTKeys.qkv(0) + ".weight").toFloats(),
                    ordered.weights().get(DiTKeys.qkv(0) + ".weight").toFloats(), "the conversion applies the ordering");
            LinkedHashMap<String, Tensor> nonRouter = new LinkedHashMap<>();
            ordered.weights().forEach((k, v) -> { if (!DiTKeys.isRouterKey(k)) nonRouter.put(k, v); });
            try (DiTEngine e = new DiTEngine(DiTParams.of(cfg.withDynamic(false), nonRouter, DataType.FLOAT))) {
                e.setMasks(permutedMasks(cases, cfg, r, (int) x.size(0)));
                float[] got = NdTensors.toTensor(e.forward(x, t.data().asDouble(), intsOf(cases.get("y")))).toFloats();
                Approx.assertClose("ordered conversion under the permuted reference masks vs the reference's out", dynamic, got,
                        Approx.F32_ATOL, Approx.F32_RTOL);
            }
        }
    }

    /** The reference's masks (B, L, H) and (B, L, T, 1) with new head / group position j taking old order[j]'s value. */
    private static BlockMasks[] permutedMasks(SafeTensors cases, DiTConfig cfg, ImportanceOrdering.Result r, int b) {
        float[] attn = cases.get("attn_mask").toFloats(), mlp = cases.get("mlp_mask").toFloats();
        float[] tok = cases.get("token_mask").toFloats();
        int depth = cfg.depth(), heads = cfg.numHeads(), tokens = cfg.tokens();
        BlockMasks[] masks = new BlockMasks[depth];
        for (int l = 0; l < depth; l++) {
            float[] hm = new float[b * heads], gm = new float[b * heads], tm = new float[b * tokens];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < heads; j++) {
                    hm[i * heads + j] = attn[(i * depth + l) * heads + r.headOrder()[l][j]];
                    gm[i * heads + j] = mlp[(i * depth + l) * heads + r.groupOrder()[l][j]];
                }
                System.arraycopy(tok, (i * depth + l) * tokens, tm, i * tokens, tokens);
            }
            BlockMasks m = new BlockMasks();
            m.head = Nd4j.create(hm, new long[]{b, heads}, 'c');
            m.channel = Nd4j.create(gm, new long[]{b, heads}, 'c');
            m.token = Nd4j.create(tm, new long[]{(long) b * tokens}, 'c');
            masks[l] = m;
        }
        return masks;
    }

    private static int[] intsOf(Tensor t) {
        long[] l = t.toLongs();
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) r[i] = Math.toIntExact(l[i]);
        return r;
    }
}
