package org.dydit.model;

import org.dydit.formats.FormatException;
import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad model folders: each problem is one error naming the file, the key and the shapes. */
class DiTWeightsTest {
    @TempDir
    Path tmp;

    private Path folder(DiTConfig cfg, Map<String, Tensor> weights) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "model");
        cfg.write(dir.resolve(DiTModel.CONFIG_FILE));
        SafeTensorsWriter.write(dir.resolve(DiTModel.WEIGHTS_FILE), weights, Map.of("format", "pt"));
        return dir;
    }

    private static String loadError(Path dir) {
        return assertThrows(FormatException.class, () -> DiTModel.load(dir)).getMessage();
    }

    private static void assertNames(String msg, Path dir, String key) {
        assertTrue(msg.contains(dir.resolve(DiTModel.WEIGHTS_FILE).toAbsolutePath().toString()), "no file in: " + msg);
        assertTrue(msg.contains("key '" + key + "'"), "no key '" + key + "' in: " + msg);
    }

    @Test
    void aValidFolderLoads() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = DiTModel.load(folder(cfg, DiTInit.init(cfg, 1)));
        assertEquals(cfg, m.config());
        assertEquals(DiTKeys.expected(cfg).keySet(), m.weights().keySet());
    }

    @Test
    void aNaNWeightIsRefusedNamingFileKeyAndIndex() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        String key = "blocks.1.mlp.fc1.weight";
        Tensor t = w.get(key);
        float[] v = t.toFloats();
        v[3 * (int) t.dim(1) + 5] = Float.NaN;          // row 3, column 5
        w.put(key, Tensor.ofFloats(t.shape(), v));
        Path dir = folder(cfg, w);
        String msg = loadError(dir);
        assertNames(msg, dir, key);
        assertTrue(msg.contains("NaN at [3, 5]"), msg);
    }

    @Test
    void anInfiniteHalfPrecisionWeightIsRefused() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        String key = "y_embedder.embedding_table.weight";
        Tensor t = w.get(key);
        float[] v = t.toFloats();
        v[0] = Float.NEGATIVE_INFINITY;
        w.put(key, Tensor.ofFloats(org.dydit.formats.DType.BF16, t.shape(), v));
        Path dir = folder(cfg, w);
        String msg = loadError(dir);
        assertNames(msg, dir, key);
        assertTrue(msg.contains("-inf at [0, 0]"), msg);
    }

    @Test
    void configWidthDisagreeingWithWeightsNamesFileKeyAndBothShapes() throws IOException {
        DiTConfig small = TinyModels.config();
        DiTConfig wide = new DiTConfig(small.inputSize(), small.patchSize(), small.inChannels(), small.hiddenSize() + 16,
                small.depth(), small.numHeads(), small.numClasses(), true, 0.1, 4.0, false);
        Path dir = folder(small, DiTInit.init(wide, 1));     // weights of width 48, config says 32
        String msg = loadError(dir);
        assertNames(msg, dir, DiTKeys.POS_EMBED);
        assertTrue(msg.contains(Arrays.toString(DiTKeys.expected(wide).get(DiTKeys.POS_EMBED))), msg);
        assertTrue(msg.contains(Arrays.toString(DiTKeys.expected(small).get(DiTKeys.POS_EMBED))), msg);
        assertTrue(msg.contains(dir.resolve(DiTModel.CONFIG_FILE).toAbsolutePath().toString()), "no config file in: " + msg);
        assertTrue(msg.contains("hidden_size 32"), msg);
    }

    @Test
    void onlyTheQkvShapeWrong() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        String key = DiTKeys.qkv(1) + ".weight";
        w.put(key, Tensor.ofFloats(new long[]{96, 48}, new float[96 * 48]));
        Path dir = folder(cfg, w);
        String msg = loadError(dir);
        assertNames(msg, dir, key);
        assertTrue(msg.contains("[96, 48]") && msg.contains("[96, 32]"), msg);
    }

    @Test
    void missingKey() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        String key = DiTKeys.fc2(1) + ".bias";
        w.remove(key);
        Path dir = folder(cfg, w);
        String msg = loadError(dir);
        assertNames(msg, dir, key);
        assertTrue(msg.contains("missing"), msg);
    }

    @Test
    void deeperConfigThanWeightsIsAMissingBlock() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTConfig deeper = new DiTConfig(cfg.inputSize(), cfg.patchSize(), cfg.inChannels(), cfg.hiddenSize(), cfg.depth() + 1,
                cfg.numHeads(), cfg.numClasses(), true, 0.1, 4.0, false);
        Path dir = folder(deeper, DiTInit.init(cfg, 1));
        String msg = loadError(dir);
        assertNames(msg, dir, DiTKeys.qkv(cfg.depth()) + ".weight");
    }

    @Test
    void unexpectedKey() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        w.put("blocks.0.attn.q_norm.weight", Tensor.ofFloats(new long[]{8}, new float[8]));
        Path dir = folder(cfg, w);
        String msg = loadError(dir);
        assertNames(msg, dir, "blocks.0.attn.q_norm.weight");
        assertTrue(msg.contains("unexpected"), msg);
    }

    @Test
    void routerKeysInAStaticConfigSayDynamicIsOff() throws IOException {
        DiTConfig cfg = TinyModels.config();
        Path dir = folder(cfg, DiTInit.init(cfg.withDynamic(true), 1));
        String msg = loadError(dir);
        assertNames(msg, dir, DiTKeys.attnRouter(0) + ".weight");
        assertTrue(msg.contains("\"dynamic\": false"), msg);
    }

    @Test
    void integerWeightsAreRefused() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        String key = DiTKeys.PATCH_B;
        w.put(key, Tensor.ofLongs(new long[]{cfg.hiddenSize()}, new long[cfg.hiddenSize()]));
        Path dir = folder(cfg, w);
        String msg = loadError(dir);
        assertNames(msg, dir, key);
    }

    @Test
    void dynamicKeysHaveTheReferenceShapes() {
        DiTConfig cfg = TinyModels.config().withDynamic(true);
        Map<String, long[]> e = DiTKeys.expected(cfg);
        int d = cfg.hiddenSize();
        assertEquals(Arrays.toString(new long[]{cfg.numHeads() - 1, d}), Arrays.toString(e.get(DiTKeys.attnRouter(0) + ".weight")));
        assertEquals(Arrays.toString(new long[]{cfg.numHeads() - 1, d}), Arrays.toString(e.get(DiTKeys.mlpRouter(0) + ".weight")));
        assertEquals(Arrays.toString(new long[]{d / 16, d}), Arrays.toString(e.get(DiTKeys.tokenRouter0(0) + ".weight")));
        assertEquals(Arrays.toString(new long[]{1, d / 16}), Arrays.toString(e.get(DiTKeys.tokenRouter2(0) + ".weight")));
        assertEquals(Arrays.toString(new long[]{1}), Arrays.toString(e.get(DiTKeys.tokenRouter2(0) + ".bias")));
        assertEquals(DiTKeys.expected(cfg.withDynamic(false)).size() + 8 * cfg.depth(), e.size());
    }

    /** Weights saved from a DDP- or torch.compile-wrapped model carry a prefix on every key; it is dropped. */
    @Test
    void wrapperPrefixIsDropped() throws IOException {
        DiTConfig cfg = TinyModels.config();
        LinkedHashMap<String, Tensor> w = DiTInit.init(cfg, 1);
        LinkedHashMap<String, Tensor> wrapped = new LinkedHashMap<>();
        w.forEach((k, v) -> wrapped.put("module._orig_mod." + k, v));
        Path dir = folder(cfg, wrapped);
        DiTModel m = DiTModel.loadCheckpoint(dir.resolve(DiTModel.WEIGHTS_FILE), dir.resolve(DiTModel.CONFIG_FILE), null);
        assertEquals(w, m.weights());
    }
}
