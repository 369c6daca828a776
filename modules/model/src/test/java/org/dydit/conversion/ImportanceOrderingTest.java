package org.dydit.conversion;

import org.dydit.model.DyDiTTestModels;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.DiTModel;
import org.dydit.testkit.Approx;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.LinkedHashMap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImportanceOrderingTest {

    @Test
    void permutedDiTComputesTheSameFunction() throws Exception {
        DiTConfig cfg = DyDiTTestModels.tiny().withDynamic(false);
        LinkedHashMap<String, Tensor> w = DyDiTTestModels.randomWeights(cfg, 3, 0.1);
        w.put(DiTKeys.POS_EMBED, w.get(DiTKeys.POS_EMBED).cast(org.dydit.formats.DType.F32));
        // make the orders non-trivial: scale one late head's value rows and one late group up
        float[] qkv = w.get(DiTKeys.qkv(0) + ".weight").toFloats();
        int d = cfg.hiddenSize(), hd = cfg.headDim();
        for (int i = (2 * d + 3 * hd) * d; i < (2 * d + 4 * hd) * d; i++) qkv[i] *= 3;
        w.put(DiTKeys.qkv(0) + ".weight", Tensor.ofFloats(new long[]{3L * d, d}, qkv));
        DiTModel before = DiTModel.of(cfg, w, "test", "test");
        ImportanceOrdering.Result r = ImportanceOrdering.apply(cfg, w);
        DiTModel after = DiTModel.of(cfg, r.weights(), "test", "test");

        boolean moved = false;
        for (int l = 0; l < cfg.depth(); l++) {
            for (int[] order : new int[][]{r.headOrder()[l], r.groupOrder()[l]}) {
                int[] sorted = order.clone();
                Arrays.sort(sorted);
                for (int i = 0; i < sorted.length; i++) assertTrue(sorted[i] == i, "not a permutation: " + Arrays.toString(order));
                for (int i = 0; i < order.length; i++) moved |= order[i] != i;
            }
        }
        assertTrue(moved, "every order is the identity: the test would not see a broken permutation");
        assertTrue(r.headOrder()[0][0] == 3, "the scaled head should come first: " + Arrays.toString(r.headOrder()[0]));
        assertNotEquals(w.get(DiTKeys.fc1(1) + ".weight").toFloats()[0], r.weights().get(DiTKeys.fc1(1) + ".weight").toFloats()[0]);

        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.FLOAT, 3, cfg.inChannels(), cfg.inputSize(), cfg.inputSize());
        INDArray t = Nd4j.createFromArray(3f, 480f, 999f);
        INDArray y = Nd4j.createFromArray(1L, 4L, 5L);
        float[] a = before.forward(x, t, y).data().asFloat();
        float[] b = after.forward(x, t, y).data().asFloat();
        Approx.assertClose("permuted DiT output", a, b, 1e-5, 0);
    }

    @Test
    void refusesWeightsThatAlreadyHaveRouters() {
        DiTConfig cfg = DyDiTTestModels.tiny();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImportanceOrdering.apply(cfg, DyDiTTestModels.randomWeights(cfg, 1, 0.1)));
        assertTrue(e.getMessage().contains("attn_rate"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
