package org.dydit.engine;

import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.DiTWeights;
import org.dydit.model.GoldenCases;
import org.dydit.model.NdTensors;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The hand-written engine against the reference PyTorch outputs ({@code $DYDIT_GOLDEN/dit} and {@code dydit}):
 * every (x, t, y -> out) group of {@code cases.safetensors}, guided when the group has a scale; the DyDiT complete
 * model; and the DyDiT dynamic forward with the reference's own masks fed through the engine's mask hooks.
 * Sizes come only from the files.
 */
class EngineGoldenTest {

    static DiTEngine engine(Path dir, DataType dt) throws IOException {
        DiTConfig cfg = DiTConfig.read(dir.resolve("config.json"));
        return new DiTEngine(DiTParams.of(cfg, DiTWeights.readSafetensors(dir.resolve("model.safetensors")), dt));
    }

    static double[] doubles(Tensor t) {
        return t.toDoubles();
    }

    static int[] ints(Tensor t) {
        long[] l = t.toLongs();
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) r[i] = Math.toIntExact(l[i]);
        return r;
    }

    static void assertOut(String what, Tensor want, INDArray got) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        Approx.assertClose(what, want.toFloats(), NdTensors.toTensor(got).toFloats(), Approx.F32_ATOL, Approx.F32_RTOL);
    }

    @Test
    void everyDiTCaseMatchesTheReference() throws IOException {
        Path dir = Golden.path("dit");
        try (DiTEngine e = engine(dir, DataType.FLOAT); SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            for (String pre : GoldenCases.groups(cases)) {
                INDArray x = NdTensors.toNd(cases.get(pre + "x"), DataType.FLOAT);
                if (cases.contains(pre + "scale")) {
                    INDArray got = e.forward(DiTModel.guidanceInput(x), doubles(cases.get(pre + "t")),
                            ints(cases.get(pre + "y"))).dup();
                    got = DiTModel.guided(got, cases.get(pre + "scale").toDoubles()[0]);
                    assertOut(pre + "out (guided)", cases.get(pre + "out"), got);
                } else {
                    assertOut(pre + "out", cases.get(pre + "out"),
                            e.forward(x, doubles(cases.get(pre + "t")), ints(cases.get(pre + "y"))));
                }
            }
        }
    }

    @Test
    void dyditCompleteAndMaskedForwardsMatchTheReference() throws IOException {
        Path dir = Golden.path("dydit");
        try (DiTEngine e = engine(dir, DataType.FLOAT); SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            DiTConfig cfg = e.config();
            INDArray x = NdTensors.toNd(cases.get("x"), DataType.FLOAT);
            double[] t = doubles(cases.get("t"));
            int[] y = ints(cases.get("y"));
            assertOut("complete_out", cases.get("complete_out"), e.forward(x, t, y));

            // masks (B, L, H), (B, L, H), (B, L, T, 1) as the reference applied them
            INDArray attn = NdTensors.toNd(cases.get("attn_mask"), DataType.FLOAT);
            INDArray mlp = NdTensors.toNd(cases.get("mlp_mask"), DataType.FLOAT);
            INDArray tok = NdTensors.toNd(cases.get("token_mask"), DataType.FLOAT);
            int b = (int) x.size(0);
            BlockMasks[] masks = new BlockMasks[cfg.depth()];
            for (int l = 0; l < cfg.depth(); l++) {
                BlockMasks m = new BlockMasks();
                m.head = attn.get(Nd4jIdx.all(), Nd4jIdx.point(l), Nd4jIdx.all()).dup('c');
                m.channel = mlp.get(Nd4jIdx.all(), Nd4jIdx.point(l), Nd4jIdx.all()).dup('c');
                m.token = tok.get(Nd4jIdx.all(), Nd4jIdx.point(l), Nd4jIdx.all(), Nd4jIdx.all()).dup('c')
                        .reshape(new long[]{(long) b * cfg.tokens()});
                masks[l] = m;
            }
            e.setMasks(masks);
            assertOut("out (dynamic, reference masks)", cases.get("out"), e.forward(x, t, y));
        }
    }

    /** Short names for ND4J's index helpers. */
    static final class Nd4jIdx {
        static org.nd4j.linalg.indexing.INDArrayIndex all() {
            return org.nd4j.linalg.indexing.NDArrayIndex.all();
        }

        static org.nd4j.linalg.indexing.INDArrayIndex point(long i) {
            return org.nd4j.linalg.indexing.NDArrayIndex.point(i);
        }
    }

    static {
        Nd4j.getRandom().setSeed(0);
    }
}
