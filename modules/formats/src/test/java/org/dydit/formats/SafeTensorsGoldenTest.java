package org.dydit.formats;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every golden safetensors file reads, and writing it back gives the same tensors and metadata. */
class SafeTensorsGoldenTest {
    @TempDir
    Path tmp;

    static List<Path> allGoldenSafetensors() throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Golden.root())) {
            for (Path d : dirs) {
                if (!Files.isDirectory(d)) continue;
                try (DirectoryStream<Path> files = Files.newDirectoryStream(d, "*.safetensors")) {
                    files.forEach(out::add);
                }
            }
        }
        return out;
    }

    @Test
    void everyGoldenFileRoundTripsBitExactly() throws IOException {
        List<Path> files = allGoldenSafetensors();
        assertFalse(files.isEmpty(), "no golden safetensors found");
        // every folder the fixture README describes with safetensors files takes part: a missing one fails by name
        for (String folder : List.of("dit", "dydit", "diffusion", "fid", "inception", "preprocess", "vae")) {
            assertTrue(files.stream().anyMatch(f -> f.getParent().getFileName().toString().equals(folder)),
                    "no .safetensors file in " + Golden.root().resolve(folder));
        }
        int i = 0;
        for (Path f : files) {
            LinkedHashMap<String, Tensor> all;
            Map<String, String> meta;
            try (SafeTensors st = SafeTensors.open(f)) {
                all = st.getAll();
                meta = new LinkedHashMap<>(st.metadata());
                assertFalse(all.isEmpty(), f + " has tensors");
                for (String n : st.names()) {
                    Tensor t = all.get(n);
                    assertEquals(st.dtype(n), t.dtype());
                    assertArrayEquals(st.shape(n), t.shape());
                    if (t.dtype() == DType.F32) assertArrayEquals(t.toFloats(), st.floats(n), n);
                    if (t.dtype() == DType.F64) assertArrayEquals(t.toDoubles(), st.doubles(n), n);
                }
            }
            Path copy = tmp.resolve("copy" + (i++) + ".safetensors");
            SafeTensorsWriter.write(copy, all, meta);
            long headerLen = java.nio.ByteBuffer.wrap(Files.readAllBytes(copy), 0, 8)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLen % 8, "header padding keeps the data 8-aligned");
            try (SafeTensors st = SafeTensors.open(copy)) {
                assertEquals(meta, st.metadata(), f + " metadata");
                assertEquals(all.keySet(), new java.util.HashSet<>(st.names()));
                for (Map.Entry<String, Tensor> e : all.entrySet()) {
                    assertEquals(e.getValue(), st.get(e.getKey()), f + " " + e.getKey());
                }
            }
        }
    }

    @Test
    void zeroDimTensorsAndMetadataInFixtures() throws IOException {
        // The README says dit/cases.safetensors has a cfg_scale; inception weights hold 0-d num_batches_tracked.
        boolean sawScalar = false;
        for (Path f : allGoldenSafetensors()) {
            try (SafeTensors st = SafeTensors.open(f)) {
                for (String n : st.names()) {
                    if (st.shape(n).length == 0) {
                        sawScalar = true;
                        assertEquals(1, st.get(n).numel(), f + " " + n);
                    }
                }
            }
        }
        assertTrue(sawScalar, "the fixture set holds at least one 0-d tensor");
    }
}
