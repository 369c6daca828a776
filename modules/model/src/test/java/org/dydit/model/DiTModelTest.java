package org.dydit.model;

import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model folders, dynamic batch, precision, class dropout and input checks on tiny random models. */
class DiTModelTest {
    @TempDir
    Path tmp;

    private static DiTModel random(DiTConfig cfg, long seed) throws IOException {
        return DiTModel.of(cfg, TinyModels.randomWeights(cfg, seed), "test weights", "test config");
    }

    @Test
    void saveThenLoadGivesTheSameWeightsAndOutputs() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = random(cfg, 1);
        Path dir = tmp.resolve("saved");
        m.save(dir);
        DiTModel back = DiTModel.load(dir);
        assertEquals(cfg, back.config());
        assertEquals(List.copyOf(m.weights().keySet()), List.copyOf(back.weights().keySet()));
        m.weights().forEach((k, t) -> assertEquals(t, back.weights().get(k), k));
        try (SafeTensors st = SafeTensors.open(dir.resolve(DiTModel.WEIGHTS_FILE))) {
            assertEquals("pt", st.metadata().get("format"));
        }
        // The folder gets the permissions of any folder made here (umask), not a private temp folder's.
        Path probe = Files.createDirectory(tmp.resolve("probe"));
        assertEquals(Files.getPosixFilePermissions(probe), Files.getPosixFilePermissions(dir));
        INDArray x = TinyModels.x(cfg, 2, 3);
        assertEquals(m.forward(x, TinyModels.t(3, 700), TinyModels.y(2, 5)),
                back.forward(x, TinyModels.t(3, 700), TinyModels.y(2, 5)));
    }

    @Test
    void saveReplacesAnExistingModelFolderAndLeavesNoTemporaries() throws IOException {
        DiTConfig cfg = TinyModels.config();
        Path dir = tmp.resolve("m");
        random(cfg, 1).save(dir);
        DiTModel second = random(cfg, 2);
        second.save(dir);
        assertEquals(second.weights().get(DiTKeys.PATCH_B), DiTModel.load(dir).weights().get(DiTKeys.PATCH_B));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(dir), s.toList(), "temporary folders left behind");
        }
    }

    /** A folder holding other files is never swapped away: the save is refused and the folder is left as it was. */
    @Test
    void saveRefusesToReplaceAFolderWithOtherFiles() throws IOException {
        DiTConfig cfg = TinyModels.config();
        Path dir = tmp.resolve("m");
        DiTModel first = random(cfg, 1);
        first.save(dir);
        Files.writeString(dir.resolve("notes.txt"), "mine");
        String msg = assertThrows(IOException.class, () -> random(cfg, 2).save(dir)).getMessage();
        assertTrue(msg.contains("notes.txt") && msg.contains(dir.toString()), msg);
        assertEquals("mine", Files.readString(dir.resolve("notes.txt")));
        assertEquals(first.weights().get(DiTKeys.PATCH_B), DiTModel.load(dir).weights().get(DiTKeys.PATCH_B));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(dir), s.toList(), "temporary folders left behind");
        }
    }

    @Test
    void batchSizeIsDynamicAndSamplesAreIndependent() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = random(cfg, 4);
        INDArray x = TinyModels.x(cfg, 3, 9);
        INDArray all = m.forward(x, TinyModels.t(5, 250, 999), TinyModels.y(0, 3, 5));
        long[] ts = {5, 250, 999};
        long[] ys = {0, 3, 5};
        for (int i = 0; i < 3; i++) {
            INDArray one = m.forward(x.get(NDArrayIndex.interval(i, i + 1)).dup(), TinyModels.t(ts[i]), TinyModels.y(ys[i]));
            assertEquals(0.0, one.sub(all.get(NDArrayIndex.interval(i, i + 1))).amaxNumber().doubleValue(), 1e-5, "sample " + i);
        }
    }

    @Test
    void float64GraphAgreesWithFloat32() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = random(cfg, 5);
        INDArray x = TinyModels.x(cfg, 2, 1);
        INDArray f32 = m.forward(x, TinyModels.t(1, 600), TinyModels.y(4, 5));
        SameDiff sd = m.graph(DataType.DOUBLE, false);
        INDArray f64 = sd.output(Map.of(DiTGraph.X, x.castTo(DataType.DOUBLE), DiTGraph.T, TinyModels.t(1, 600).castTo(DataType.DOUBLE),
                DiTGraph.Y, TinyModels.y(4, 5)), DiTGraph.OUT).get(DiTGraph.OUT);
        assertEquals(DataType.DOUBLE, f64.dataType());
        assertEquals(0.0, f64.sub(f32.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-4);
        assertTrue(f64.amaxNumber().doubleValue() > 0.1);
    }

    /** Training graphs take the class-dropout mask as input: dropped rows behave exactly like the null label. */
    @Test
    void classDropoutMaskReplacesLabelsByTheNullClass() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = random(cfg, 6);
        SameDiff train = m.graph(DataType.FLOAT, true);
        INDArray x = TinyModels.x(cfg, 2, 2);
        INDArray t = TinyModels.t(100, 100);
        INDArray dropped = train.output(Map.of(DiTGraph.X, x, DiTGraph.T, t, DiTGraph.Y, TinyModels.y(1, 2),
                DiTGraph.DROP, Nd4j.createFromArray(1f, 0f)), DiTGraph.OUT).get(DiTGraph.OUT);
        INDArray expected = m.forward(x, t, TinyModels.y(cfg.numClasses(), 2));
        assertEquals(0.0, dropped.sub(expected).amaxNumber().doubleValue(), 1e-6);
        INDArray kept = m.forward(x, t, TinyModels.y(1, 2));
        assertTrue(kept.sub(expected).amaxNumber().doubleValue() > 1e-4, "labels must matter");
    }

    /** The float64 graph differentiates (one-hot label lookup, hand-written LayerNorm): central differences agree. */
    @Test
    void gradientsMatchCentralDifferences() throws IOException {
        DiTConfig cfg = new DiTConfig(4, 2, 2, 8, 1, 2, 3, true, 0.1, 4.0, false);
        DiTModel m = random(cfg, 8);
        SameDiff sd = m.graph(DataType.DOUBLE, true);
        Nd4j.getRandom().setSeed(3);
        INDArray r = Nd4j.randn(DataType.DOUBLE, 2, cfg.outChannels(), cfg.inputSize(), cfg.inputSize());
        sd.sum("loss", sd.getVariable(DiTGraph.OUT).mul(sd.constant("r", r)));
        sd.setLossVariables("loss");
        Map<String, INDArray> ph = new LinkedHashMap<>();
        ph.put(DiTGraph.X, TinyModels.x(cfg, 2, 4).castTo(DataType.DOUBLE));
        ph.put(DiTGraph.T, Nd4j.createFromArray(17.0, 800.0));
        ph.put(DiTGraph.Y, TinyModels.y(0, 2));
        ph.put(DiTGraph.DROP, Nd4j.createFromArray(0.0, 1.0));
        List<String> params = List.copyOf(m.weights().keySet()).stream().filter(k -> !k.equals(DiTKeys.POS_EMBED)).toList();
        Map<String, INDArray> grads = sd.calculateGradients(ph, params);
        // one random direction per tensor: (L(w + e d) - L(w - e d)) / 2e must equal <grad, d>
        double eps = 1e-5;
        int checked = 0;
        for (String p : params) {
            INDArray w = sd.getVariable(p).getArr();
            INDArray orig = w.dup();
            INDArray d = Nd4j.rand(DataType.DOUBLE, w.shape()).subi(0.5);
            w.assign(orig.add(d.mul(eps)));
            double up = sd.output(ph, "loss").get("loss").getDouble(0);
            w.assign(orig.sub(d.mul(eps)));
            double down = sd.output(ph, "loss").get("loss").getDouble(0);
            w.assign(orig);
            double numeric = (up - down) / (2 * eps);
            double analytic = grads.get(p).mul(d).sumNumber().doubleValue();
            assertTrue(Math.abs(analytic) > 1e-8, p + ": gradient vanishes");
            assertEquals(numeric, analytic, 1e-7 + 1e-5 * Math.abs(numeric), p);
            checked++;
        }
        assertEquals(params.size(), checked);
    }

    @Test
    void badInputsAreRefusedWithClearMessages() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = random(cfg, 1);
        INDArray x = TinyModels.x(cfg, 2, 1);
        String wrongShape = assertThrows(IllegalArgumentException.class,
                () -> m.forward(Nd4j.zeros(DataType.FLOAT, 2, cfg.inChannels() + 1, 8, 8), TinyModels.t(1, 2), TinyModels.y(0, 1))).getMessage();
        assertTrue(wrongShape.contains("[2, 4, 8, 8]"), wrongShape);
        String label = assertThrows(IllegalArgumentException.class,
                () -> m.forward(x, TinyModels.t(1, 2), TinyModels.y(0, cfg.numClasses() + 1))).getMessage();
        assertTrue(label.contains("y[1] = 6"), label);
        assertThrows(IllegalArgumentException.class, () -> m.forward(x, TinyModels.t(1), TinyModels.y(0, 1)));
        assertThrows(IllegalArgumentException.class, () -> m.forwardWithCfg(TinyModels.x(cfg, 3, 1), TinyModels.t(1, 2, 3), TinyModels.y(0, 1, 5), 1.5));
    }

    /** forwardWithCfg: first 3 channels guided and equal in both halves, the rest untouched; scale 1 is the cond output. */
    @Test
    void guidanceTouchesOnlyTheFirstThreeChannels() throws IOException {
        DiTConfig cfg = TinyModels.config();
        DiTModel m = random(cfg, 2);
        INDArray x = TinyModels.x(cfg, 2, 5);
        INDArray xx = Nd4j.concat(0, x, x);
        INDArray t = TinyModels.t(300, 300, 300, 300);
        INDArray y = TinyModels.y(1, 2, 5, 5);
        INDArray plain = m.forward(xx, t, y);
        INDArray g = m.forwardWithCfg(xx, t, y, 4.0);
        INDArray first = g.get(NDArrayIndex.interval(0, 2), NDArrayIndex.interval(0, 3));
        INDArray second = g.get(NDArrayIndex.interval(2, 4), NDArrayIndex.interval(0, 3));
        assertEquals(first, second);
        INDArray cond = plain.get(NDArrayIndex.interval(0, 2), NDArrayIndex.interval(0, 3));
        INDArray uncond = plain.get(NDArrayIndex.interval(2, 4), NDArrayIndex.interval(0, 3));
        assertEquals(0.0, first.sub(uncond.add(cond.sub(uncond).mul(4.0))).amaxNumber().doubleValue(), 1e-5);
        INDArray rest = g.get(NDArrayIndex.all(), NDArrayIndex.interval(3, cfg.outChannels()));
        assertEquals(plain.get(NDArrayIndex.all(), NDArrayIndex.interval(3, cfg.outChannels())), rest);
        INDArray one = m.forwardWithCfg(xx, t, y, 1.0);
        assertEquals(0.0, one.get(NDArrayIndex.interval(0, 2)).sub(plain.get(NDArrayIndex.interval(0, 2))).amaxNumber().doubleValue(), 1e-6);
        assertArrayEquals(plain.shape(), g.shape());
    }

    @Test
    void routersAreAddedForFineTuningFromADiT() {
        DiTConfig cfg = TinyModels.config();
        Map<String, Tensor> dit = DiTInit.init(cfg, 1);
        DiTConfig dyn = cfg.withDynamic(true);
        Map<String, Tensor> w = DiTInit.withRouters(dyn, dit, 2);
        assertEquals(DiTKeys.expected(dyn).keySet(), w.keySet());
        dit.forEach((k, v) -> assertEquals(v, w.get(k), k));
    }
}
