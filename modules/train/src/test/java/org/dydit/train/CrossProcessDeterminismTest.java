package org.dydit.train;

import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's forward and backward give the same bits in separate JVMs. Before {@link VecMath}, every process
 * differed at this size: the Vector API's EXP, TANH and ADD reduction changed their last bits when C2 compiled
 * them, at a moment that varies from process to process.
 */
class CrossProcessDeterminismTest {

    /** Child process: one forward + backward of a 4-block model at batch 16 (1024 tokens); prints a hash. */
    public static final class Probe {
        public static void main(String[] args) {
            DiTConfig cfg = new DiTConfig(32, 4, 1, 128, 4, 4, 10, true, 0.1, 4.0, false);
            DiTParams p = DiTParams.of(cfg, DiTModel.init(cfg, 5).weights(), DataType.FLOAT);
            float[] w = p.flat().data().asFloat();
            java.util.Random r = new java.util.Random(3);
            for (int i = 0; i < w.length; i++) w[i] += 0.02f * (float) r.nextGaussian();   // no zero-init layers
            p.flat().data().setData(w);
            int b = 16;
            float[] x = new float[b * 1024];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            double[] t = new double[b];
            int[] y = new int[b];
            for (int i = 0; i < b; i++) {
                t[i] = (i * 137) % 1000;
                y[i] = i % 11;
            }
            try (DiTEngine e = new DiTEngine(p)) {
                INDArray out = e.forward(Nd4j.create(x, new long[]{b, 1, 32, 32}, 'c'), t, y);
                long h = hash(1125899906842597L, out.dup().data().asFloat());
                DiTParams grads = p.like();
                e.backward(Nd4j.valueArrayOf(out.shape(), 0.01f), grads);
                h = hash(h, grads.flat().dup().data().asFloat());
                System.out.println("HASH " + Long.toHexString(h));
            }
        }

        private static long hash(long h, float[] a) {
            for (float f : a) h = 31 * h + Float.floatToRawIntBits(f);
            return h;
        }
    }

    private static String runProbe() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector"));
        cmd.addAll(org.dydit.testkit.PlainNativesOnOldCpus.childJvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        pr.getInputStream().transferTo(buf);
        assertTrue(pr.waitFor(120, TimeUnit.SECONDS), "probe process did not finish");
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, pr.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("HASH ")).findFirst()
                .orElseThrow(() -> new AssertionError("no hash in the probe's output:\n" + out));
    }

    @Test
    void forwardAndBackwardGiveTheSameBitsInSeparateProcesses() throws Exception {
        String first = runProbe(), second = runProbe();
        assertEquals(first, second, "two JVMs computed different bits");
    }
}
