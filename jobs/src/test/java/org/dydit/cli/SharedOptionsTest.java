package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.dydit.model.flops.DiTFlops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The option mixins (model source, config overrides, seed): the same option reads and behaves the same in every
 * command that takes it, and its checks name the option and the value.
 */
class SharedOptionsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Every command that takes a model folder, a named model or a seed lists it in its help. */
    @Test
    void everyCommandListsItsSharedOptions() {
        String[][] takes = {
                {"flops", "--model=NAME", "--model-dir=DIR", "--seed=S", "--width, --hidden-size=D", "--depth=L"},
                {"train", "--model=NAME", "--model-dir=DIR", "--config=FILE", "--resume=DIR", "--seed=S",
                        "--heads, --num-heads=H", "--patch, --patch-size=P", "--num-classes=K"},
                {"sample", "--model-dir=DIR", "--seed=S"},
                {"convert", "--model-dir=DIR", "--seed=S"},
                {"forward", "--model-dir=DIR", "--config=FILE"},
                {"bench train", "--model=NAME", "--seed=S"},
                {"bench speedup", "--model=NAME", "--model-dir=DIR", "--seed=S"},
                {"finetune", "--seed=S", "--lr=LR", "--ema-decay=D", "--clip-norm=N", "--batch=B", "--checkpoint-every=N"},
                {"import", "--config=FILE"},
        };
        for (String[] t : takes) {
            String[] cmd = (t[0] + " --help").split(" ");
            Cli h = Cli.run(cmd);
            assertEquals(0, h.code(), h::toString);
            for (int i = 1; i < t.length; i++) assertTrue(h.out().contains(t[i]), t[0] + " lists " + t[i] + ":\n" + h.out());
            if (!t[0].equals("forward") && !t[0].equals("import")) assertTrue(h.out().contains("(default 0)"), t[0] + ": the seed's default\n" + h.out());
        }
    }

    @Test
    void overridesHaveThePapersAndTheConfigsNames() throws Exception {
        DiTConfig base = DiTConfig.preset("DiT-S/2");
        DiTConfig want = new DiTConfig(16, 4, 3, 128, 3, 4, 7, true, 0.1, 2.0, false);
        long macs = DiTFlops.of(want).totalMacs();
        String[][] spellings = {
                {"--input-size", "16", "--in-channels", "3", "--num-classes", "7", "--patch", "4", "--depth", "3",
                        "--width", "128", "--heads", "4", "--mlp-ratio", "2"},
                {"--input-size", "16", "--in-channels", "3", "--num-classes", "7", "--patch-size", "4", "--depth", "3",
                        "--hidden-size", "128", "--num-heads", "4", "--mlp-ratio", "2"},
        };
        for (String[] s : spellings) {
            String[] args = new String[s.length + 3];
            args[0] = "flops";
            args[1] = "--model";
            args[2] = "DiT-S/2";
            System.arraycopy(s, 0, args, 3, s.length);
            Cli r = Cli.run(args);
            assertEquals(0, r.code(), r::toString);
            JsonNode j = JSON.readTree(r.out());
            assertEquals(macs, j.get("macs").asLong(), String.join(" ", s));
            assertEquals("DiT-S/2 (custom)", j.get("model").asText());
            assertEquals(128, j.at("/config/hidden_size").asInt());
            assertEquals(7, j.at("/config/num_classes").asInt());
            assertTrue(macs != DiTFlops.of(base).totalMacs());
        }
        // input size and channels change the data, not the network: no "(custom)"
        JsonNode j = JSON.readTree(Cli.run("flops", "--model", "DiT-S/2", "--input-size", "16").out());
        assertEquals("DiT-S/2", j.get("model").asText());
    }

    @Test
    void anImpossibleOverrideNamesTheOptions() {
        Cli r = Cli.run("flops", "--model", "DiT-S/2", "--width", "100", "--heads", "6");
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(r.err().contains("--width 100 --heads 6") && r.err().contains("hidden_size 100"), r::toString);
        Cli bad = Cli.run("flops", "--model", "DiT-S/2", "--depth", "many");
        assertEquals(Main.EXIT_USAGE, bad.code(), bad::toString);
        assertTrue(bad.err().contains("--depth") && bad.err().contains("many"), bad::toString);
    }

    @Test
    void modelNamesIncludeTinyAndUnknownOnesAreNamed() throws Exception {
        Cli tiny = Cli.run("flops", "--model", "tiny");
        assertEquals(0, tiny.code(), tiny::toString);
        assertEquals(DiTFlops.of(ModelSource.tiny()).totalMacs(), JSON.readTree(tiny.out()).get("macs").asLong());
        assertEquals(64, JSON.readTree(tiny.out()).at("/config/hidden_size").asInt());
        for (String[] cmd : new String[][]{{"flops", "--model", "DiT-Q/2"}, {"bench", "train", "--model", "DiT-Q/2"},
                {"train", "--model", "DiT-Q/2", "--out", "never"}}) {
            Cli r = Cli.run(cmd);
            assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
            assertTrue(r.err().contains("unknown model name 'DiT-Q/2'"), r::toString);
        }
    }

    @Test
    void sourcesAreExclusiveWhereACommandTakesOne(@TempDir Path tmp) {
        Cli two = Cli.run("train", "--model", "tiny", "--config", tmp.resolve("c.json").toString(), "--out", tmp.toString());
        assertEquals(Main.EXIT_USAGE, two.code(), two::toString);
        assertTrue(two.err().contains("mutually exclusive"), two::toString);
        Cli none = Cli.run("flops");
        assertEquals(Main.EXIT_USAGE, none.code(), none::toString);
        assertTrue(none.err().contains("--model=NAME | --model-dir=DIR"), none::toString);
        Cli noDir = Cli.run("convert", "--to-dydit", "--out", tmp.resolve("o").toString());
        assertEquals(Main.EXIT_USAGE, noDir.code(), noDir::toString);
        assertTrue(noDir.err().contains("--model-dir"), noDir::toString);
    }

    @Test
    void overridesShapeOnlyAFreshModel(@TempDir Path tmp) throws Exception {
        DiTModel.init(ModelSource.tiny(), 1).save(tmp.resolve("m"));
        Cli r = Cli.run("train", "--model-dir", tmp.resolve("m").toString(), "--depth", "3", "--out", tmp.resolve("o").toString());
        assertEquals(Main.EXIT_FAILURE, r.code(), r::toString);
        assertTrue(r.err().contains("--depth 3") && r.err().contains("fresh model"), r::toString);
        Cli dy = Cli.run("convert", "--to-dydit", "--model-dir", tmp.resolve("m").toString(), "--out", tmp.resolve("dy").toString());
        assertEquals(0, dy.code(), dy::toString);
        Cli f = Cli.run("flops", "--model-dir", tmp.resolve("dy").toString(), "--width", "128");
        assertEquals(Main.EXIT_FAILURE, f.code(), f::toString);
        assertTrue(f.err().contains("--width 128") && f.err().contains("DyDiT folder"), f::toString);
        Cli again = Cli.run("convert", "--to-dydit", "--model-dir", tmp.resolve("dy").toString(), "--out", tmp.resolve("dy2").toString());
        assertEquals(Main.EXIT_FAILURE, again.code(), again::toString);
        assertTrue(again.err().contains("already holds a DyDiT"), again::toString);
    }
}
