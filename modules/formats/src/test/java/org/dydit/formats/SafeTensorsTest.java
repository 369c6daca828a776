package org.dydit.formats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writer/reader round trips, the multi-mapping path, files over 2 GiB. */
class SafeTensorsTest {
    @TempDir
    Path tmp;

    static Map<String, Tensor> sample() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        float[] f = new float[100];
        for (int i = 0; i < f.length; i++) f[i] = (float) Math.sin(i) * 3;
        m.put("w", Tensor.ofFloats(new long[] {10, 10}, f));
        m.put("half", Tensor.ofFloats(DType.F16, new long[] {4, 25}, f));
        m.put("bf", Tensor.ofFloats(DType.BF16, new long[] {100}, f));
        m.put("d", Tensor.ofDoubles(new long[] {2}, new double[] {Math.PI, -1e300}));
        m.put("idx", Tensor.ofLongs(new long[] {3}, new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}));
        m.put("i32", Tensor.ofInts(new long[] {2}, new int[] {-7, 1 << 30}));
        m.put("i16", Tensor.ofDoubles(new long[] {2}, new double[] {-300, 300}).cast(DType.I16));
        m.put("i8", Tensor.ofDoubles(new long[] {2}, new double[] {-100, 100}).cast(DType.I8));
        m.put("img", Tensor.ofBytes(DType.U8, new long[] {1, 2, 1, 3}, new byte[] {0, 1, 2, 3, (byte) 254, (byte) 255}));
        m.put("mask", Tensor.ofBytes(DType.BOOL, new long[] {3}, new byte[] {1, 0, 1}));
        m.put("steps", Tensor.scalar(1000));
        m.put("scale", Tensor.scalarFloat(4.0f));
        m.put("empty", Tensor.ofFloats(new long[] {0, 5}, new float[0]));
        return m;
    }

    @Test
    void roundTripEveryDtypeScalarsEmptyAndMetadata() throws IOException {
        Map<String, Tensor> m = sample();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("config", "{\"depth\": 2, \"quote\": \"\\\"\"}");
        meta.put("unicode", "β-schedule ✓");
        Path f = tmp.resolve("sub/dir/all.safetensors");
        SafeTensorsWriter.write(f, m, meta);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(meta, st.metadata());
            assertEquals(m.keySet(), new java.util.HashSet<>(st.names()));
            for (Map.Entry<String, Tensor> e : m.entrySet()) {
                assertEquals(e.getValue(), st.get(e.getKey()), e.getKey());
                assertArrayEquals(e.getValue().toFloats(), st.floats(e.getKey()), e.getKey());
                assertArrayEquals(e.getValue().toDoubles(), st.doubles(e.getKey()), e.getKey());
            }
            assertEquals(0, st.shape("scale").length);
            assertEquals(4.0, st.get("scale").item());
            assertArrayEquals(new long[] {Long.MIN_VALUE, 0, Long.MAX_VALUE}, st.longs("idx"));
        }
        try (java.util.stream.Stream<Path> s = Files.list(f.getParent())) {
            assertEquals(1, s.count(), "no temp file left behind");
        }
    }

    @Test
    void writerLaysOutTensorsAlignedToTheirElementSize() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("odd", Tensor.ofBytes(DType.U8, new long[] {3}, new byte[] {1, 2, 3}));
        m.put("h", Tensor.ofFloats(DType.F16, new long[] {1}, new float[] {1}));
        m.put("f", Tensor.ofFloats(new long[] {1}, new float[] {1}));
        m.put("d", Tensor.scalar(1));
        Path f = tmp.resolve("a.safetensors");
        SafeTensorsWriter.write(f, m);
        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.endsWith(" ") || header.endsWith("}"), header);
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(header);
        for (String k : m.keySet()) {
            long begin = j.get(k).get("data_offsets").get(0).asLong();
            assertEquals(0, begin % m.get(k).dtype().bytes(), k + " aligned");
        }
    }

    @Test
    void readsAcrossSeveralMappings() throws IOException {
        Map<String, Tensor> m = sample();
        Path f = tmp.resolve("w.safetensors");
        SafeTensorsWriter.write(f, m);
        // 16-byte windows: every tensor above spans several mappings.
        try (SafeTensors small = SafeTensors.open(f, 16); SafeTensors normal = SafeTensors.open(f)) {
            for (String n : normal.names()) {
                assertEquals(normal.get(n), small.get(n), n);
                assertArrayEquals(normal.floats(n), small.floats(n), n);
            }
            float[] part = new float[37];
            small.readFloats("w", 51, part);
            assertArrayEquals(Arrays.copyOfRange(m.get("w").toFloats(), 51, 88), part);
            small.readFloats("half", 3, part);
            assertArrayEquals(Arrays.copyOfRange(m.get("half").toFloats(), 3, 40), part);
            ByteBuffer crossing = small.slice("w", 10, 30);
            byte[] got = new byte[30];
            crossing.get(got);
            assertArrayEquals(Arrays.copyOfRange(m.get("w").rawBytes(), 10, 40), got);
            assertThrows(IndexOutOfBoundsException.class, () -> small.readFloats("w", 90, new float[11]));
        }
    }

    @Test
    void fileOverTwoGiBIsReadPiecewise() throws IOException {
        // A sparse file: one U8 tensor of 2 GiB + 4096 bytes, then a small F32 tensor beyond the 2 GiB mark.
        long big = (1L << 31) + 4096;
        String header = "{\"__metadata__\":{\"k\":\"v\"},\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + h.length;
        Path f = tmp.resolve("big.safetensors");
        long window = SafeTensors.DEFAULT_WINDOW;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(dataStart + big + 8);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.seek(dataStart + window - 2);                // straddles the first mapping's end
            raf.write(new byte[] {11, 12, 13, 14});
            raf.seek(dataStart + big);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array());
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertArrayEquals(new long[] {big}, st.shape("big"));
            assertArrayEquals(new float[] {1.5f, -2f}, st.floats("tail"));
            float[] four = new float[6];
            st.readFloats("big", window - 3, four);
            assertArrayEquals(new float[] {0, 11, 12, 13, 14, 0}, four);
            ByteBuffer s = st.slice("big", window - 2, 4);
            assertEquals(11, s.get(0));
            assertEquals(14, s.get(3));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> st.get("big"));
            assertTrue(e.getMessage().contains("big") && e.getMessage().contains(f.getFileName().toString()), e.getMessage());
        }
    }

    @Test
    void streamingSourcesAndTheirSizeCheck() throws IOException {
        Path f = tmp.resolve("s.safetensors");
        Map<String, SafeTensorsWriter.Source> src = new LinkedHashMap<>();
        src.put("ramp", source(DType.F32, new long[] {1000}, 4000));
        SafeTensorsWriter.writeSources(f, src, Collections.emptyMap());
        try (SafeTensors st = SafeTensors.open(f)) {
            float[] v = st.floats("ramp");
            for (int i = 0; i < v.length; i++) assertEquals(i, v[i]);
        }
        byte[] before = Files.readAllBytes(f);
        src.put("short", source(DType.F32, new long[] {10}, 36));
        IOException e = assertThrows(IOException.class, () -> SafeTensorsWriter.writeSources(f, src, Collections.emptyMap()));
        assertTrue(e.getMessage().contains("short"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f), "a failed write leaves the previous file intact");
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            assertEquals(1, s.count(), "the temp file is removed");
        }
    }

    /** Writes floats 0, 1, 2, ... as {@code bytes} bytes (a wrong count on purpose when it disagrees with the shape). */
    private static SafeTensorsWriter.Source source(DType dt, long[] shape, int bytes) {
        return new SafeTensorsWriter.Source() {
            public DType dtype() { return dt; }
            public long[] shape() { return shape; }
            public void writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; b.remaining() >= 4; i++) b.putFloat(i);
                b.flip();
                while (b.hasRemaining()) out.write(b);
            }
        };
    }
}
