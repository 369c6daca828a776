package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.formats.SafeTensors;
import org.dydit.prep.dataset.Issues;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordCodec;
import org.dydit.prep.dataset.RecordDType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dydit train}: checkpoints, resume through the command line, clear errors. */
class TrainCommandTest {

    @Test
    void trainWritesACheckpointAndAResumedRunEqualsAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        String[] common = {"--batch", "4", "--lr", "1e-3", "--ema-decay", "0.9", "--clip-norm", "1", "--log-every", "0"};
        Cli whole = Cli.run(concat(new String[]{"train", "--model", "tiny", "--steps", "6", "--out", tmp.resolve("whole").toString()}, common));
        assertEquals(0, whole.code(), whole.toString());
        JsonNode summary = new ObjectMapper().readTree(whole.out());
        assertEquals(6, summary.get("steps").asLong());
        assertTrue(Files.isRegularFile(tmp.resolve("whole/model/model.safetensors")), "EMA model folder");
        assertTrue(Files.isRegularFile(tmp.resolve("whole/train_state.json")));

        Cli first = Cli.run(concat(new String[]{"train", "--model", "tiny", "--steps", "3", "--out", tmp.resolve("part").toString()}, common));
        assertEquals(0, first.code(), first.toString());
        Cli rest = Cli.run("train", "--resume", tmp.resolve("part").toString(), "--steps", "6", "--batch", "4", "--log-every", "0",
                "--out", tmp.resolve("resumed").toString());
        assertEquals(0, rest.code(), rest.toString());
        assertEquals(3, new ObjectMapper().readTree(rest.out()).get("steps_this_run").asLong());

        try (SafeTensors a = SafeTensors.open(tmp.resolve("whole/train_state.safetensors"));
             SafeTensors b = SafeTensors.open(tmp.resolve("resumed/train_state.safetensors"))) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) assertArrayEquals(a.floats(n), b.floats(n), n);
        }
        try (SafeTensors a = SafeTensors.open(tmp.resolve("whole/model/model.safetensors"));
             SafeTensors b = SafeTensors.open(tmp.resolve("resumed/model/model.safetensors"))) {
            for (String n : a.names()) assertArrayEquals(a.floats(n), b.floats(n), n);
        }
    }

    @Test
    void badInputIsAClearError(@TempDir Path tmp) {
        Cli c = Cli.run("train", "--resume", tmp.resolve("nothing").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, c.code(), c.toString());
        assertTrue(c.err().contains("train_state.json"), c.toString());
        Cli d = Cli.run("train", "--model", "tiny", "--data", tmp.resolve("imagenet").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, d.code(), d.toString());
        assertTrue(d.err().contains("manifest.json"), d.toString());
    }

    /** A hand-written dydit-latents/1 folder: {@code n} records of [1, 8, 8] F32, labels i mod 3 (or {@code badLabel} for the last). */
    private static Path tinyDataset(Path dir, int n, int badLabel) throws Exception {
        Files.createDirectories(dir);
        int[] shape = {1, 8, 8};
        RecordCodec codec = new RecordCodec(shape, RecordDType.FLOAT32);
        java.util.Random r = new java.util.Random(7);
        try (java.io.OutputStream o = Files.newOutputStream(dir.resolve("part-00000.bin"))) {
            for (int i = 0; i < n; i++) {
                int label = i == n - 1 && badLabel >= 0 ? badLabel : i % 3;
                float[] x = new float[64];
                for (int k = 0; k < 64; k++) x[k] = (label - 1) * 0.6f + 0.1f * (float) r.nextGaussian();
                o.write(codec.encode(label, x));
            }
        }
        Manifest m = new Manifest(shape, RecordDType.FLOAT32, n, java.util.List.of(new Manifest.Part("part-00000.bin", n)),
                java.util.List.of("a", "b", "c"), java.util.Map.of("type", "pixel"), java.util.Map.of(), java.util.Map.of(),
                new Issues(), new Issues());
        Files.writeString(dir.resolve(Manifest.FILE_NAME), m.toJson());
        return dir;
    }

    @Test
    void trainsOnAPreparedDatasetAndRejectsOneThatDoesNotFitTheModel(@TempDir Path tmp) throws Exception {
        Path ds = tinyDataset(tmp.resolve("ds"), 20, -1);
        // A fresh tiny model takes channels, size and classes from the manifest; 6 steps of 4 cross an epoch boundary.
        Cli c = Cli.run("train", "--model", "tiny", "--data", ds.toString(), "--steps", "6", "--batch", "4",
                "--lr", "1e-3", "--log-every", "0", "--out", tmp.resolve("ck").toString());
        assertEquals(0, c.code(), c.toString());
        JsonNode s = new ObjectMapper().readTree(c.out());
        assertEquals(6, s.get("steps").asLong());
        assertTrue(Double.isFinite(s.get("first_loss").asDouble()) && Double.isFinite(s.get("last_loss").asDouble()), c.out());
        assertTrue(Files.isRegularFile(tmp.resolve("ck/model/model.safetensors")), "EMA model folder");
        JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("ck/model/config.json").toFile());
        assertEquals(1, cfg.get("in_channels").asInt(), cfg.toString());
        assertEquals(8, cfg.get("input_size").asInt(), cfg.toString());
        assertEquals(3, cfg.get("num_classes").asInt(), cfg.toString());

        // A model built for 4 channels given 1-channel records: the error names the manifest.
        Cli bad = Cli.run("train", "--model", "tiny", "--in-channels", "4", "--data", ds.toString(), "--steps", "1",
                "--log-every", "0", "--out", tmp.resolve("bad").toString());
        assertEquals(1, bad.code(), bad.toString());
        assertTrue(bad.err().contains(ds.resolve(Manifest.FILE_NAME).toString()) && bad.err().contains("[4, 8, 8]"), bad.toString());
        assertTrue(!Files.exists(tmp.resolve("bad")), "nothing written on a mismatch");

        // A label outside the manifest's classes: the error names the part file and the record.
        Path badLabels = tinyDataset(tmp.resolve("labels"), 5, 7);
        Cli lab = Cli.run("train", "--model", "tiny", "--data", badLabels.toString(), "--steps", "1", "--log-every", "0",
                "--out", tmp.resolve("lab").toString());
        assertEquals(1, lab.code(), lab.toString());
        assertTrue(lab.err().contains("part-00000.bin") && lab.err().contains("record 4"), lab.toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
