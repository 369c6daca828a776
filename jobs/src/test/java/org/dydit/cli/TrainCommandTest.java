package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.formats.SafeTensors;
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
        Cli d = Cli.run("train", "--model", "tiny", "--data", "imagenet", "--out", tmp.resolve("o").toString());
        assertEquals(1, d.code(), d.toString());
        assertTrue(d.err().contains("--data"), d.toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
