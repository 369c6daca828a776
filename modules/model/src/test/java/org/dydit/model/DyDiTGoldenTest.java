package org.dydit.model;

import org.dydit.routing.DyDiTRouting;
import org.dydit.routing.GumbelSigmoid;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * DyDiT parity with the reference PyTorch code on {@code $DYDIT_GOLDEN/dydit}: the dynamic output, the three masks
 * (exactly) and the complete model's output, for the SameDiff reference graph and for the engine with its routers.
 * Sizes come only from the files.
 */
class DyDiTGoldenTest {

    static void assertClose(String what, Tensor want, INDArray got) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        Approx.assertClose(what, want.toFloats(), NdTensors.toTensor(got).toFloats(), Approx.F32_ATOL, Approx.F32_RTOL);
    }

    static void assertExact(String what, Tensor want, INDArray got) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        assertArrayEquals(want.toFloats(), NdTensors.toTensor(got.castTo(DataType.FLOAT)).toFloats(), what);
    }

    @Test
    void referenceGraphMatchesTheReference() throws IOException {
        Path dir = Golden.path("dydit");
        DyDiTForward f = new DyDiTForward(DiTModel.load(dir));
        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            INDArray x = NdTensors.toNd(cases.get("x"), DataType.FLOAT);
            INDArray t = NdTensors.toNd(cases.get("t"), DataType.FLOAT);
            INDArray y = NdTensors.toNd(cases.get("y"), DataType.INT64);
            DyDiTOutput o = f.forward(x, t, y);
            assertExact("attn_mask", cases.get("attn_mask"), o.attnMask());
            assertExact("mlp_mask", cases.get("mlp_mask"), o.mlpMask());
            assertExact("token_mask", cases.get("token_mask"), o.tokenMask());
            assertClose("out", cases.get("out"), o.out());
            assertClose("complete_out", cases.get("complete_out"), f.complete(x, t, y));
        }
    }

    @Test
    void engineWithRoutersMatchesTheReference() throws IOException {
        Path dir = Golden.path("dydit");
        DiTConfig cfg = DiTConfig.read(dir.resolve("config.json"));
        DiTParams p = DiTParams.of(cfg, DiTWeights.readSafetensors(dir.resolve("model.safetensors")), DataType.FLOAT);
        try (DiTEngine e = new DiTEngine(p); SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            INDArray x = NdTensors.toNd(cases.get("x"), DataType.FLOAT);
            double[] t = cases.get("t").toDoubles();
            long[] yl = cases.get("y").toLongs();
            int[] y = new int[yl.length];
            for (int i = 0; i < y.length; i++) y[i] = Math.toIntExact(yl[i]);
            DyDiTRouting routing = new DyDiTRouting(e, GumbelSigmoid.TAU);
            routing.attach();
            DyDiTOutput o = routing.output(e.forward(x, t, y).dup());
            assertExact("engine attn_mask", cases.get("attn_mask"), o.attnMask());
            assertExact("engine mlp_mask", cases.get("mlp_mask"), o.mlpMask());
            assertExact("engine token_mask", cases.get("token_mask"), o.tokenMask());
            assertClose("engine out", cases.get("out"), o.out());
            routing.detach();
            assertClose("engine complete_out", cases.get("complete_out"), e.forward(x, t, y));
            routing.close();
        }
    }
}
