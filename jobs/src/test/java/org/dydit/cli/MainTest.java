package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.model.DiTConfig;
import org.dydit.model.flops.DiTFlops;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void flopsPrintsOneJsonObjectWithTheItemisedCount() throws Exception {
        Cli r = Cli.run("flops", "--model", "DiT-XL/2");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        DiTFlops f = DiTFlops.of(DiTConfig.preset("DiT-XL/2"));
        assertEquals(f.totalMacs(), j.get("macs").asLong());
        assertEquals(118.69, j.get("gmacs").asDouble(), 118.69 * 0.005);   // the paper's figure
        assertEquals(f.attentionMacs(f.tokens()), j.at("/blocks/per_block/attention/total").asLong());
        assertEquals(f.mlpMacs(f.tokens()), j.at("/blocks/per_block/mlp/total").asLong());
        assertEquals(28, j.at("/blocks/count").asInt());
        long sum = j.at("/embeddings/total").asLong() + j.at("/blocks/total").asLong() + j.at("/final_layer/total").asLong();
        assertEquals(j.get("macs").asLong(), sum);
    }

    @Test
    void flopsReadsAModelFolderAndOverrides() throws Exception {
        Path dir = Golden.path("dit");
        Cli r = Cli.run("flops", "--model-dir", dir.toString(), "--input-size", "16", "--in-channels", "3");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        DiTConfig c = DiTConfig.read(dir.resolve("config.json")).withInputSize(16).withInChannels(3);
        assertEquals(DiTFlops.of(c).totalMacs(), j.get("macs").asLong());
        assertEquals(16, j.at("/config/input_size").asInt());
        assertEquals(3, j.at("/config/in_channels").asInt());
        assertEquals(dir.toString(), j.get("model").asText());
    }

    @Test
    void usageErrorsExitWithTwo() {
        Cli none = Cli.run();
        assertEquals(Main.EXIT_USAGE, none.code(), none::toString);
        assertTrue(none.err().contains("missing command"), none::toString);

        Cli both = Cli.run("flops", "--model", "DiT-S/2", "--model-dir", "x");
        assertEquals(Main.EXIT_USAGE, both.code(), both::toString);

        Cli unknown = Cli.run("frobnicate");
        assertEquals(Main.EXIT_USAGE, unknown.code(), unknown::toString);
        assertTrue(unknown.err().contains("frobnicate"), unknown::toString);

        Cli badNumber = Cli.run("flops", "--model", "DiT-S/2", "--input-size", "big");
        assertEquals(Main.EXIT_USAGE, badNumber.code(), badNumber::toString);
        assertTrue(badNumber.err().contains("--input-size"), badNumber::toString);
    }

    @Test
    void badInputsExitWithOneAndANamedError(@TempDir Path tmp) throws Exception {
        Cli model = Cli.run("flops", "--model", "DiT-M/2");
        assertEquals(Main.EXIT_FAILURE, model.code(), model::toString);
        assertTrue(model.err().contains("DiT-M/2"), model::toString);
        assertTrue(model.out().isEmpty(), model::toString);

        Cli noConfig = Cli.run("flops", "--model-dir", tmp.toString());
        assertEquals(Main.EXIT_FAILURE, noConfig.code(), noConfig::toString);
        assertTrue(noConfig.err().contains(tmp.toString()) && noConfig.err().contains("config.json"), noConfig::toString);

        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, "{\"input_size\": 32, \"patch_size\": 2, \"hidden_size\": \"wide\", \"depth\": 2, \"num_heads\": 4}");
        Cli badKey = Cli.run("flops", "--model-dir", tmp.toString());
        assertEquals(Main.EXIT_FAILURE, badKey.code(), badKey::toString);
        assertTrue(badKey.err().contains("hidden_size") && badKey.err().contains(cfg.toString()), badKey::toString);

        Path nowhere = tmp.resolve("nowhere.safetensors");
        Cli noCases = Cli.run("forward", "--model-dir", Golden.path("dit").toString(), "--cases", nowhere.toString(),
                "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(Main.EXIT_FAILURE, noCases.code(), noCases::toString);
        assertTrue(noCases.err().contains("no such file or folder: " + nowhere), noCases::toString);
    }

    @Test
    void helpAndVersionSucceed() {
        Cli help = Cli.run("--help");
        assertEquals(0, help.code(), help::toString);
        for (String cmd : new String[]{"flops", "forward", "backend", "prep"}) {
            assertTrue(help.out().contains(cmd), "help lists " + cmd + ":\n" + help.out());
        }
        Cli fwd = Cli.run("forward", "--help");
        assertEquals(0, fwd.code(), fwd::toString);
        assertTrue(fwd.out().contains("--cases") && fwd.out().contains("--checkpoint"), fwd::toString);
        assertEquals(0, Cli.run("--version").code());
    }

    /** picocli reports a description it cannot format (a bare %) on System.err, not on the command's writer. */
    @Test
    void everyHelpFormatsWithoutWarnings() {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(seen, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            java.util.List<String[]> all = new java.util.ArrayList<>();
            all.add(new String[]{"--help"});
            for (var sub : Main.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()),
                    new java.io.PrintWriter(java.io.Writer.nullWriter())).getSubcommands().values()) {
                all.add(new String[]{sub.getCommandName(), "--help"});
                for (String subsub : sub.getSubcommands().keySet()) all.add(new String[]{sub.getCommandName(), subsub, "--help"});
            }
            for (String[] args : all) {
                Cli h = Cli.run(args);
                assertEquals(0, h.code(), String.join(" ", args) + ": " + h);
                assertTrue(h.err().isEmpty(), String.join(" ", args) + ": " + h);
            }
            assertTrue(all.size() > 10, all.size() + " help texts");
        } finally {
            System.setErr(stderr);
        }
        assertEquals("", seen.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** prep is a picocli command like the others: its jobs are subcommands with their own help and checks. */
    @Test
    void prepListsItsJobsAndEachShowsItsOwnOptions() {
        Cli prep = Cli.run("prep", "--help");
        assertEquals(0, prep.code(), prep::toString);
        for (String job : new String[]{"fmnist", "images", "import-npy"}) assertTrue(prep.out().contains(job), prep::toString);
        Cli images = Cli.run("prep", "images", "--help");
        assertEquals(0, images.code(), images::toString);
        assertTrue(images.out().startsWith("Usage: dydit prep images"), images::toString);
        for (String o : new String[]{"--in=DIR", "--size=N", "--encoder=NAME", "--flip=none|both", "--out=DIR", "--dtype"}) {
            assertTrue(images.out().contains(o), o + " in:\n" + images);
        }
        assertTrue(!images.out().contains("--features"), images::toString);

        Cli bad = Cli.run("prep", "fmnist", "--out", "x", "--split", "val");
        assertEquals(Main.EXIT_USAGE, bad.code(), bad::toString);
        assertTrue(bad.err().contains("--split must be one of train|test, got 'val'"), bad::toString);
        Cli none = Cli.run("prep");
        assertEquals(Main.EXIT_USAGE, none.code(), none::toString);
        assertTrue(none.err().contains("missing command"), none::toString);
    }
}
