package org.dydit.model;

import org.dydit.formats.FormatException;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;
import org.dydit.testkit.Approx;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with the reference PyTorch DiT on the golden fixtures ({@code $DYDIT_GOLDEN/dit}): every case group of
 * {@code cases.safetensors} (the plain forward {@code x,t,y -> out} and every {@code P_x,P_t,P_y[,P_scale] -> P_out},
 * guided when a scale is present). Sizes come only from the files.
 */
class DiTGoldenTest {
    private static Path dir;
    private static DiTModel model;

    @BeforeAll
    static void load() throws IOException {
        dir = Golden.path("dit");
        model = DiTModel.load(dir);
    }

    /** Runs one case group through {@code m} and compares with its expected output. */
    static void check(DiTModel m, SafeTensors cases, String pre) {
        INDArray x = NdTensors.toNd(cases.get(pre + "x"), DataType.FLOAT);
        INDArray t = NdTensors.toNd(cases.get(pre + "t"), DataType.FLOAT);
        INDArray y = NdTensors.toNd(cases.get(pre + "y"), DataType.INT64);
        INDArray got = cases.contains(pre + "scale")
                ? m.forwardWithCfg(x, t, y, cases.get(pre + "scale").toDoubles()[0])
                : m.forward(x, t, y);
        Tensor want = cases.get(pre + "out");
        assertArrayEquals(want.shape(), got.shape(), pre + "out shape");
        Approx.assertClose(pre + "out", want.toFloats(), NdTensors.toTensor(got).toFloats(),
                Approx.F32_ATOL, Approx.F32_RTOL);
    }

    @TestFactory
    List<DynamicTest> everyCaseMatchesTheReference() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            List<String> groups = GoldenCases.groups(cases);
            for (String pre : groups) {
                tests.add(DynamicTest.dynamicTest(pre.isEmpty() ? "forward" : pre + "out", () -> {
                    try (SafeTensors c = SafeTensors.open(dir.resolve("cases.safetensors"))) {
                        check(model, c, pre);
                    }
                }));
            }
        }
        return tests;
    }

    /** The guided case is always compared: a fixture without it fails, naming the missing tensor. */
    @Test
    void guidedCaseIsAlwaysCompared() throws IOException {
        try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
            assertTrue(GoldenCases.groups(cases).contains("cfg_"));
        }
    }

    /** The fixed position embedding we compute equals the one the reference stored in its state dict. */
    @Test
    void positionEmbeddingEqualsTheStoredOne() {
        DiTConfig c = model.config();
        double[] pe = PositionEmbedding.sinCos2d(c.hiddenSize(), c.gridSize());
        float[] mine = new float[pe.length];
        for (int i = 0; i < pe.length; i++) mine[i] = (float) pe[i];
        Approx.assertClose("pos_embed", model.weights().get(DiTKeys.POS_EMBED).toFloats(), mine, 1e-7, 0);
    }

    /**
     * A DyDiT folder (router keys included) loads, and its forward is the complete model: the fixture's
     * {@code complete_out} (routers bypassed, full width, every token).
     */
    @Test
    void dydiTCompleteModelMatchesTheReference() throws IOException {
        Path dy = Golden.path("dydit");
        DiTModel m = DiTModel.load(dy);
        assertTrue(m.config().dynamic(), "dydit/config.json should say dynamic");
        assertTrue(m.weights().keySet().stream().anyMatch(DiTKeys::isRouterKey), "router keys were dropped");
        try (SafeTensors cases = SafeTensors.open(dy.resolve("cases.safetensors"))) {
            INDArray got = m.forward(NdTensors.toNd(cases.get("x"), DataType.FLOAT),
                    NdTensors.toNd(cases.get("t"), DataType.FLOAT), NdTensors.toNd(cases.get("y"), DataType.INT64));
            Approx.assertClose("complete_out", cases.get("complete_out").toFloats(), NdTensors.toTensor(got).toFloats(),
                    Approx.F32_ATOL, Approx.F32_RTOL);
        }
    }

    /**
     * The PyTorch checkpoints of the fixture load to exactly the tensors of {@code model.safetensors} and reproduce
     * every case: {@code model.pt} (bare state dict), the training checkpoint {@code 0030000.pt} (its EMA weights)
     * and {@code diffusers.safetensors} (diffusers' names; it has no pos_embed, which we recompute).
     */
    @TestFactory
    List<DynamicTest> torchCheckpointsReproduceTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String file : new String[]{"model.pt", "0030000.pt", "diffusers.safetensors"}) {
            tests.add(DynamicTest.dynamicTest(file, () -> {
                DiTModel m = DiTModel.loadCheckpoint(Golden.path("dit/" + file), dir.resolve("config.json"), "ema");
                assertEquals(model.weights().keySet(), m.weights().keySet());
                model.weights().forEach((k, v) -> {
                    if (k.equals(DiTKeys.POS_EMBED)) {
                        Approx.assertClose(file + ": " + k, v.toFloats(), m.weights().get(k).toFloats(), 1e-7, 0);
                    } else {
                        assertEquals(v, m.weights().get(k), file + ": " + k);
                    }
                });
                try (SafeTensors cases = SafeTensors.open(dir.resolve("cases.safetensors"))) {
                    for (String pre : GoldenCases.groups(cases)) check(m, cases, pre);
                }
            }));
        }
        return tests;
    }

    /** {@code --weights model} picks the raw weights of a training checkpoint (the fixture stores them as ema + 1). */
    @Test
    void trainingCheckpointRawWeightsAreTheOtherSet() throws IOException {
        DiTModel raw = DiTModel.loadCheckpoint(Golden.path("dit/0030000.pt"), dir.resolve("config.json"), "model");
        for (Map.Entry<String, Tensor> e : model.weights().entrySet()) {
            float[] ema = e.getValue().toFloats();
            float[] w = raw.weights().get(e.getKey()).toFloats();
            for (int i = 0; i < ema.length; i++) assertEquals(ema[i] + 1f, w[i], 1e-6f, e.getKey());
        }
    }

    /** A checkpoint whose sizes disagree with the config: one error naming the checkpoint and the key. */
    @Test
    void checkpointDisagreeingWithConfigNamesFileAndKey(@TempDir Path tmp) throws IOException {
        DiTConfig c = model.config();
        DiTConfig deeper = new DiTConfig(c.inputSize(), c.patchSize(), c.inChannels(), c.hiddenSize(), c.depth() + 1,
                c.numHeads(), c.numClasses(), c.learnSigma(), c.classDropoutProb(), c.mlpRatio(), c.dynamic());
        Path cfg = tmp.resolve("config.json");
        deeper.write(cfg);
        Path pt = Golden.path("dit/model.pt");
        String msg = assertThrows(FormatException.class, () -> DiTModel.loadCheckpoint(pt, cfg, "ema")).getMessage();
        assertTrue(msg.contains(pt.toAbsolutePath().toString()), msg);
        assertTrue(msg.contains("key '" + DiTKeys.qkv(c.depth()) + ".weight'"), msg);
    }

    /** diffusers files: a missing tensor and a block's embedder copy that differs are errors naming file and key. */
    @Test
    void badDiffusersFilesNameFileAndKey(@TempDir Path tmp) throws IOException {
        Map<String, Tensor> w = DiTWeights.readSafetensors(Golden.path("dit/diffusers.safetensors"));
        Path cfg = dir.resolve("config.json");

        Map<String, Tensor> missing = new java.util.LinkedHashMap<>(w);
        missing.remove("proj_out_2.weight");
        Path f1 = tmp.resolve("missing.safetensors");
        org.dydit.formats.SafeTensorsWriter.write(f1, missing, Map.of());
        String m1 = assertThrows(FormatException.class, () -> DiTModel.loadCheckpoint(f1, cfg, null)).getMessage();
        assertTrue(m1.contains(f1.toAbsolutePath().toString()) && m1.contains("key 'proj_out_2.weight'"), m1);

        // block 0's embedder copy is the one kept; a later block's must equal it (a depth-1 fixture has no later block)
        int last = model.config().depth() - 1;
        assertTrue(last >= 1, Golden.path("dit/config.json") + ": depth " + (last + 1)
                + ", but this check needs a second block's embedder copy");
        String copy = "transformer_blocks." + last + ".norm1.emb.class_embedder.embedding_table.weight";
        assertTrue(w.containsKey(copy), Golden.path("dit/diffusers.safetensors") + " has no '" + copy + "'");
        Map<String, Tensor> differ = new java.util.LinkedHashMap<>(w);
        float[] v = w.get(copy).toFloats();
        v[0] += 1f;
        differ.put(copy, Tensor.ofFloats(w.get(copy).shape(), v));
        Path f2 = tmp.resolve("differ.safetensors");
        org.dydit.formats.SafeTensorsWriter.write(f2, differ, Map.of());
        String m2 = assertThrows(FormatException.class, () -> DiTModel.loadCheckpoint(f2, cfg, null)).getMessage();
        assertTrue(m2.contains(f2.toAbsolutePath().toString()) && m2.contains("key '" + copy + "'"), m2);
    }
}
