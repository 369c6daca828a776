package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.prep.dataset.Issues;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordCodec;
import org.dydit.prep.dataset.RecordDType;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input to {@code train} and {@code finetune}, as a new user gives it: outputs that would replace something
 * else, options out of range, a resume on other data, an unwritable output, a corrupt checkpoint, leftovers of
 * killed runs; and {@code import} and {@code train}'s refusal of a DyDiT.
 */
class TrainingInputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] FAST = {"--batch", "2", "--log-every", "0"};

    static Path dataset(Path dir, int n) throws Exception {
        Files.createDirectories(dir);
        int[] shape = {1, 8, 8};
        RecordCodec codec = new RecordCodec(shape, RecordDType.FLOAT32);
        try (java.io.OutputStream o = Files.newOutputStream(dir.resolve("part-00000.bin"))) {
            for (int i = 0; i < n; i++) {
                float[] x = new float[64];
                x[i % 64] = 1;
                o.write(codec.encode(i % 3, x));
            }
        }
        Manifest m = new Manifest(shape, RecordDType.FLOAT32, n, java.util.List.of(new Manifest.Part("part-00000.bin", n)),
                java.util.List.of("a", "b", "c"), java.util.Map.of("type", "pixel"), java.util.Map.of(), java.util.Map.of(),
                new Issues(), new Issues());
        Files.writeString(dir.resolve(Manifest.FILE_NAME), m.toJson());
        return dir;
    }

    static Cli train(String... args) {
        String[] r = java.util.Arrays.copyOf(new String[]{"train"}, 1 + args.length + FAST.length);
        System.arraycopy(args, 0, r, 1, args.length);
        System.arraycopy(FAST, 0, r, 1 + args.length, FAST.length);
        return Cli.run(r);
    }

    @Test
    void outMustNotReplaceADatasetAFileOrAnotherFolder(@TempDir Path tmp) throws Exception {
        Path ds = dataset(tmp.resolve("ds"), 10);
        for (String out : new String[]{ds.toString(), tmp.toString(), ds.resolve("ck").toString()}) {
            Cli c = train("--model", "tiny", "--data", ds.toString(), "--steps", "1", "--out", out);
            assertEquals(1, c.code(), c.toString());
            assertTrue(c.err().contains("the training dataset"), c.toString());
        }
        Path file = Files.writeString(tmp.resolve("notes.txt"), "mine");
        Cli f = train("--model", "tiny", "--steps", "1", "--out", file.toString());
        assertEquals(1, f.code(), f.toString());
        assertTrue(f.err().contains("is a file"), f.toString());
        Path folder = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(folder.resolve("a.jpg"), "x");
        Cli g = Cli.run(FinetuneCommandTest.finetune(folder, 1));
        assertEquals(1, g.code(), g.toString());
        assertTrue(g.err().contains("not empty and not a training checkpoint"), g.toString());
        assertEquals("mine", Files.readString(file));
        assertTrue(Files.isRegularFile(folder.resolve("a.jpg")) && Files.isRegularFile(ds.resolve(Manifest.FILE_NAME)), "nothing deleted");
        Cli init = Cli.run("finetune", "--init", Golden.path("dit").toString(), "--lambda", "0.5", "--steps", "1",
                "--out", Golden.path("dit").resolve("ck").toString());
        assertEquals(1, init.code(), init.toString());
        assertTrue(init.err().contains("--init"), init.toString());
    }

    @Test
    void optionsOutOfRangeAreUsageErrors(@TempDir Path tmp) {
        String out = tmp.resolve("o").toString();
        String[][] bad = {{"--ema-decay", "2"}, {"--clip-norm", "-1"}, {"--checkpoint-every", "-5"}, {"--steps", "-1"},
                {"--steps", "0"}, {"--lr", "0"}, {"--beta2", "1"}, {"--batch", "0"}, {"--weight-decay", "-1"}};
        for (String[] b : bad) {
            Cli c = train("--model", "tiny", "--out", out, b[0], b[1]);
            assertEquals(2, c.code(), String.join(" ", b) + "\n" + c);
            assertTrue(c.err().contains(b[0]), c.toString());
        }
        String[][] badFt = {{"--lambda", "1.5"}, {"--tau", "0"}, {"--ramp-steps", "-1"}, {"--budget", "2"}, {"--recipe", "large"}};
        for (String[] b : badFt) {
            Cli c = Cli.run("finetune", "--init", Golden.path("dit").toString(), "--lambda", "0.5",
                    b[0].equals("--budget") ? "--init-iterations" : "--steps", b[0].equals("--budget") ? "1000" : "1", b[0], b[1], "--out", out);
            assertEquals(2, c.code(), String.join(" ", b) + "\n" + c);
            assertTrue(c.err().contains(b[0]), c.toString());
        }
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    @Test
    void aResumeContinuesOnTheCheckpointsDataAndRefusesOtherData(@TempDir Path tmp) throws Exception {
        Path ds = dataset(tmp.resolve("ds"), 7);
        Path other = dataset(tmp.resolve("other"), 5);
        Cli first = train("--model", "tiny", "--data", ds.toString(), "--steps", "3", "--out", tmp.resolve("ck").toString());
        assertEquals(0, first.code(), first.toString());
        JsonNode state = JSON.readTree(tmp.resolve("ck/train_state.json").toFile());
        assertEquals(ds.toAbsolutePath().normalize().toString(), state.at("/data/source").asText());
        assertEquals(6, state.at("/data/position").asLong(), "3 steps of 2 records");
        assertEquals(64, state.at("/data/manifest_sha256").asText().length());

        Cli rest = train("--resume", tmp.resolve("ck").toString(), "--steps", "5", "--out", tmp.resolve("ck").toString());
        assertEquals(0, rest.code(), rest.toString());
        assertEquals(ds.toAbsolutePath().normalize().toString(), JSON.readTree(rest.out()).get("data").asText(), "the checkpoint's data");
        assertEquals(10, JSON.readTree(tmp.resolve("ck/train_state.json").toFile()).at("/data/position").asLong());

        // 3 + 2 steps over an epoch boundary (7 records, batch 2) equal 5 steps in one run, bit for bit
        Cli whole = train("--model", "tiny", "--data", ds.toString(), "--steps", "5", "--out", tmp.resolve("whole").toString());
        assertEquals(0, whole.code(), whole.toString());
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(tmp.resolve("whole/model/model.safetensors")),
                Files.readAllBytes(tmp.resolve("ck/model/model.safetensors")), "resumed on the dataset = uninterrupted");
        org.junit.jupiter.api.Assertions.assertArrayEquals(Files.readAllBytes(tmp.resolve("whole/train_state.safetensors")),
                Files.readAllBytes(tmp.resolve("ck/train_state.safetensors")));

        Cli wrong = train("--resume", tmp.resolve("ck").toString(), "--data", other.toString(), "--steps", "6",
                "--out", tmp.resolve("ck2").toString());
        assertEquals(1, wrong.code(), wrong.toString());
        assertTrue(wrong.err().contains("differs from the data of checkpoint"), wrong.toString());
        Cli synthetic = train("--resume", tmp.resolve("ck").toString(), "--data", "synthetic", "--steps", "6",
                "--out", tmp.resolve("ck2").toString());
        assertEquals(1, synthetic.code(), synthetic.toString());

        // the dataset changed under the checkpoint: refused, naming its manifest
        Files.writeString(ds.resolve(Manifest.FILE_NAME), Files.readString(ds.resolve(Manifest.FILE_NAME)).replace("\"a\"", "\"A\""));
        Cli changed = train("--resume", tmp.resolve("ck").toString(), "--steps", "6", "--out", tmp.resolve("ck2").toString());
        assertEquals(1, changed.code(), changed.toString());
        assertTrue(changed.err().contains(Manifest.FILE_NAME) && changed.err().contains("changed since checkpoint"), changed.toString());
        assertFalse(Files.exists(tmp.resolve("ck2")));
    }

    @Test
    void anUnwritableOutFailsBeforeTraining() {
        // /proc refuses new entries even to root, for whom a chmod would not make a folder read-only
        Cli c = Cli.run("train", "--model", "tiny", "--steps", "50", "--log-every", "1", "--out", "/proc/dydit-" + UUID.randomUUID() + "/ck");
        assertEquals(1, c.code(), c.toString());
        assertTrue(c.err().contains("cannot write a checkpoint"), c.toString());
        assertFalse(c.err().contains("train: step"), "failed before the first step: " + c);
    }

    @Test
    void aCorruptTrainStateIsNamedAndStaleTemporariesOfKilledRunsAreCleaned(@TempDir Path tmp) throws Exception {
        Path ck = tmp.resolve("ck");
        assertEquals(0, train("--model", "tiny", "--steps", "1", "--out", ck.toString()).code());
        Path json = ck.resolve("train_state.json");
        String good = Files.readString(json);
        Files.writeString(json, good.substring(0, good.length() / 2));
        Cli c = train("--resume", ck.toString(), "--steps", "2", "--out", tmp.resolve("ck2").toString());
        assertEquals(1, c.code(), c.toString());
        assertTrue(c.err().contains(json.toString()) && c.err().contains("not valid JSON"), c.toString());
        Files.writeString(json, good);

        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path stale = Files.createDirectories(tmp.resolve(".ck.tmp-" + dead.pid() + "-" + UUID.randomUUID()));
        Files.writeString(stale.resolve("train_state.safetensors"), "half written");
        Path live = Files.createDirectories(tmp.resolve(".ck.tmp-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID()));
        Path foreign = Files.createDirectories(tmp.resolve(".ck.tmp-someone-elses"));
        Cli again = train("--resume", ck.toString(), "--steps", "2", "--out", ck.toString());
        assertEquals(0, again.code(), again.toString());
        assertFalse(Files.exists(stale), "the temporary of a process that no longer runs is removed");
        assertTrue(again.err().contains(stale.getFileName().toString()), again.toString());
        assertTrue(Files.isDirectory(live), "a running process's temporary is kept");
        assertTrue(Files.isDirectory(foreign), "a name not written by a checkpoint save is kept");
    }

    @Test
    void trainRefusesADyDiTAndImportWritesAModelFolder(@TempDir Path tmp) throws Exception {
        Cli dy = train("--model-dir", Golden.path("dydit").toString(), "--steps", "1", "--out", tmp.resolve("o").toString());
        assertEquals(1, dy.code(), dy.toString());
        assertTrue(dy.err().contains("holds a DyDiT") && dy.err().contains("dydit finetune --init"), dy.toString());

        Path dit = Golden.path("dit");
        Cli imp = Cli.run("import", "--checkpoint", dit.resolve("model.pt").toString(), "--config", dit.resolve("config.json").toString(),
                "--out", tmp.resolve("m").toString());
        assertEquals(0, imp.code(), imp.toString());
        JsonNode cfg = JSON.readTree(tmp.resolve("m/config.json").toFile());
        assertFalse(cfg.has("dynamic"), "a DiT folder's config holds DiT's constructor arguments only: " + cfg);
        assertEquals(64, cfg.get("hidden_size").asInt());
        // the imported folder computes what the golden folder computes
        Cli a = Cli.run("forward", "--model-dir", tmp.resolve("m").toString(), "--cases", dit.resolve("cases.safetensors").toString(),
                "--out", tmp.resolve("a.safetensors").toString());
        Cli b = Cli.run("forward", "--model-dir", dit.toString(), "--cases", dit.resolve("cases.safetensors").toString(),
                "--out", tmp.resolve("b.safetensors").toString());
        assertEquals(0, a.code(), a.toString());
        assertEquals(0, b.code(), b.toString());
        try (var sa = org.dydit.formats.SafeTensors.open(tmp.resolve("a.safetensors"));
             var sb = org.dydit.formats.SafeTensors.open(tmp.resolve("b.safetensors"))) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(sb.floats("out"), sa.floats("out"));
        }
        // and so does one imported from the diffusers file
        Cli diff = Cli.run("import", "--checkpoint", dit.resolve("diffusers.safetensors").toString(), "--config",
                dit.resolve("config.json").toString(), "--out", tmp.resolve("d").toString());
        assertEquals(0, diff.code(), diff.toString());
        Cli c = Cli.run("forward", "--model-dir", tmp.resolve("d").toString(), "--cases", dit.resolve("cases.safetensors").toString(),
                "--out", tmp.resolve("c.safetensors").toString());
        assertEquals(0, c.code(), c.toString());
        try (var sc = org.dydit.formats.SafeTensors.open(tmp.resolve("c.safetensors"));
             var sb = org.dydit.formats.SafeTensors.open(tmp.resolve("b.safetensors"))) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(sb.floats("out"), sc.floats("out"));
        }
        Cli noConfig = Cli.run("import", "--checkpoint", dit.resolve("model.pt").toString(), "--out", tmp.resolve("n").toString());
        assertEquals(1, noConfig.code(), noConfig.toString());
        assertTrue(noConfig.err().contains("--config"), noConfig.toString());
    }
}
