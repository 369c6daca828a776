package org.dydit.conversion;

import org.dydit.model.DyDiTForward;
import org.dydit.model.DyDiTOutput;
import org.dydit.formats.SafeTensors;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.model.NdTensors;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The golden DiT loaded as a DyDiT (with and without importance ordering) computes the DiT's output. */
class DyDiTConversionGoldenTest {

    @Test
    void convertedGoldenDiTEqualsTheDiT() throws Exception {
        Path dir = Golden.path("dit");
        DiTModel dit = DiTModel.load(dir);
        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            INDArray x = NdTensors.toNd(cases.get("x"), DataType.FLOAT);
            INDArray t = NdTensors.toNd(cases.get("t"), DataType.FLOAT);
            INDArray y = NdTensors.toNd(cases.get("y"), DataType.INT64);
            float[] want = dit.forward(x, t, y).data().asFloat();
            for (boolean reorder : new boolean[]{false, true}) {
                DiTModel dy = DyDiTConversion.loadAsDyDiT(dir, 7, reorder);
                assertTrue(dy.config().dynamic());
                for (int l = 0; l < dy.config().depth(); l++) {
                    for (float v : dy.weights().get(DiTKeys.attnRouter(l) + ".bias").toFloats()) assertEquals(DiTInit.WIDTH_ROUTER_BIAS, v);
                    for (float v : dy.weights().get(DiTKeys.mlpRouter(l) + ".bias").toFloats()) assertEquals(DiTInit.WIDTH_ROUTER_BIAS, v);
                    assertEquals(DiTInit.TOKEN_ROUTER_BIAS, dy.weights().get(DiTKeys.tokenRouter2(l) + ".bias").toFloats()[0]);
                }
                DyDiTOutput o = new DyDiTForward(dy).forward(x, t, y);
                Approx.assertClose("DyDiT of the golden DiT (reorder " + reorder + ")", want, o.out().data().asFloat(), 1e-5, 0);
                assertEquals(o.attnMask().length(), o.attnMask().sumNumber().longValue(), "every head on");
                assertEquals(o.mlpMask().length(), o.mlpMask().sumNumber().longValue(), "every group on");
                assertEquals(o.tokenMask().length(), o.tokenMask().sumNumber().longValue(), "every token on");
            }
        }
    }
}
