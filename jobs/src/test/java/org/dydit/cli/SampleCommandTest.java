package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.formats.Npz;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code dydit sample} and {@code dydit bench speedup}: outputs, batch invariance, clear errors. */
class SampleCommandTest {

    @Test
    void sampleWritesPngsAndNpzIndependentOfBatch(@TempDir Path tmp) throws Exception {
        // a tiny pixel-space DyDiT with freshly initialised routers (all on) and a tiny DiT
        DiTModel.init(new DiTConfig(8, 2, 3, 32, 2, 4, 5, true, 0.1, 4.0, true), 1).save(tmp.resolve("dydit"));
        Cli a = Cli.run("sample", "--model-dir", tmp.resolve("dydit").toString(), "--n", "3", "--steps", "5", "--cfg", "1.5",
                "--seed", "9", "--out", tmp.resolve("a").toString(), "--batch", "3");
        assertEquals(0, a.code(), a.toString());
        Cli b = Cli.run("sample", "--model-dir", tmp.resolve("dydit").toString(), "--n", "3", "--steps", "5", "--cfg", "1.5",
                "--seed", "9", "--out", tmp.resolve("b").toString(), "--batch", "2", "--sampler", "ddpm");
        assertEquals(0, b.code(), b.toString());
        JsonNode j = new ObjectMapper().readTree(a.out());
        assertEquals(3, j.get("samples").asInt());
        assertEquals("dynamic", j.get("engine").asText());
        for (int i = 0; i < 3; i++) assertTrue(Files.isRegularFile(tmp.resolve(String.format("a/%06d.png", i))));
        Tensor ta = Npz.read(tmp.resolve("a/samples.npz")).get("arr_0"), tb = Npz.read(tmp.resolve("b/samples.npz")).get("arr_0");
        assertArrayEquals(new long[]{3, 8, 8, 3}, ta.shape());
        assertArrayEquals(ta.rawBytes(), tb.rawBytes());
        Cli c = Cli.run("sample", "--model-dir", tmp.resolve("dydit").toString(), "--n", "2", "--steps", "4", "--cfg", "1",
                "--out", tmp.resolve("c").toString(), "--sampler", "ddim", "--labels", "4");
        assertEquals(0, c.code(), c.toString());
    }

    @Test
    void badInputIsAClearError(@TempDir Path tmp) throws Exception {
        Cli a = Cli.run("sample", "--model-dir", tmp.resolve("none").toString(), "--n", "1", "--out", tmp.resolve("o").toString());
        assertEquals(1, a.code(), a.toString());
        assertTrue(a.err().contains("model folder"), a.toString());
        DiTModel.init(new DiTConfig(8, 2, 4, 32, 1, 4, 5, true, 0.1, 4.0, false), 1).save(tmp.resolve("latent"));
        Cli b = Cli.run("sample", "--model-dir", tmp.resolve("latent").toString(), "--n", "1", "--out", tmp.resolve("o").toString());
        assertEquals(1, b.code(), b.toString());
        assertTrue(b.err().contains("VAE"), b.toString());
        Cli c = Cli.run("sample", "--model-dir", tmp.resolve("latent").toString(), "--n", "1", "--out", tmp.resolve("o").toString(),
                "--sampler", "euler");
        assertEquals(1, c.code(), c.toString());
        assertTrue(c.err().contains("--sampler"), c.toString());
        Cli d = Cli.run("bench", "speedup", "--repeats", "0");
        assertEquals(1, d.code(), d.toString());
        assertTrue(d.err().contains("--repeats"), d.toString());
        Cli e = Cli.run("bench", "speedup", "--model-dir", tmp.resolve("latent").toString());
        assertEquals(1, e.code(), e.toString());
        assertTrue(e.err().contains("not a DyDiT"), e.toString());
    }
}
