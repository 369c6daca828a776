package org.dydit.formats;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** torch.save checkpoints of the reference load to exactly the tensors of model.safetensors. */
class TorchCheckpointGoldenTest {

    private static LinkedHashMap<String, Tensor> reference() throws IOException {
        try (SafeTensors st = SafeTensors.open(Golden.path("dit/model.safetensors"))) {
            return st.getAll();
        }
    }

    private static void assertSameTensors(String what, Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet(), what + ": key set");
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            assertEquals(e.getValue(), actual.get(e.getKey()), what + ": " + e.getKey() + " (dtype, shape and bits)");
        }
    }

    @Test
    void bareStateDictEqualsSafetensors() throws IOException {
        Path pt = Golden.path("dit/model.pt");
        LinkedHashMap<String, Tensor> ref = reference();
        assertSameTensors("model.pt (ema default)", ref, TorchCheckpoint.loadStateDict(pt, "ema"));
        assertSameTensors("model.pt (null = default)", ref, TorchCheckpoint.loadStateDict(pt, null));
    }

    @Test
    void trainingCheckpointEmaEqualsSafetensorsAndModelIsEmaPlusOne() throws IOException {
        Path pt = Golden.path("dit/0030000.pt");
        LinkedHashMap<String, Tensor> ref = reference();
        assertSameTensors("0030000.pt ema", ref, TorchCheckpoint.loadStateDict(pt, "ema"));
        assertSameTensors("0030000.pt (null = ema, as find_model)", ref, TorchCheckpoint.loadStateDict(pt, null));
        LinkedHashMap<String, Tensor> model = TorchCheckpoint.loadStateDict(pt, "model");
        assertEquals(ref.keySet(), model.keySet());
        for (Map.Entry<String, Tensor> e : ref.entrySet()) {
            float[] ema = e.getValue().toFloats();
            float[] raw = model.get(e.getKey()).toFloats();
            assertEquals(ema.length, raw.length, e.getKey());
            for (int i = 0; i < ema.length; i++) {
                // float32 addition in PyTorch and in Java round identically
                assertEquals(ema[i] + 1f, raw[i], 0f, e.getKey() + "[" + i + "]");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void wholeTreeReadsArgsAsMapAndOptimizerState() throws IOException {
        Path pt = Golden.path("dit/0030000.pt");
        Object top = TorchCheckpoint.load(pt);
        assertInstanceOf(Map.class, top);
        Map<Object, Object> m = (Map<Object, Object>) top;
        assertTrue(m.keySet().containsAll(List.of("model", "ema", "opt", "args")), "keys " + m.keySet());
        Map<Object, Object> args = (Map<Object, Object>) assertInstanceOf(Map.class, m.get("args"));
        assertFalse(args.isEmpty(), "argparse.Namespace attributes");
        Map<Object, Object> opt = (Map<Object, Object>) m.get("opt");
        List<Object> groups = (List<Object>) opt.get("param_groups");
        Object lr = ((Map<Object, Object>) groups.get(0)).get("lr");
        assertInstanceOf(Double.class, lr);
        // train.py builds the optimizer from args.lr: the two places agree
        assertEquals(lr, args.get("lr"));
        Map<Object, Object> state = (Map<Object, Object>) opt.get("state");
        assertFalse(state.isEmpty());
        for (Object s : state.values()) {
            for (Object v : ((Map<Object, Object>) s).values()) assertInstanceOf(Tensor.class, v);
        }
        // the whole-tree view and the state-dict view agree
        Map<Object, Object> ema = (Map<Object, Object>) m.get("ema");
        LinkedHashMap<String, Tensor> sd = TorchCheckpoint.loadStateDict(pt, "ema");
        for (Map.Entry<String, Tensor> e : sd.entrySet()) assertEquals(e.getValue(), ema.get(e.getKey()));
    }
}
