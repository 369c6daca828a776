package org.dydit.formats;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each corrupt safetensors file gets one FormatException naming the file and, where there is one, the key. */
class SafeTensorsBadInputTest {
    @TempDir
    Path tmp;

    private int n;

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = tmp.resolve("bad" + (n++) + ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static FormatException fails(Path f, String... mustContain) {
        FormatException e = assertThrows(FormatException.class, () -> SafeTensors.open(f).close());
        String m = e.getMessage();
        assertTrue(m.contains(f.getFileName().toString()), "names the file: " + m);
        for (String s : mustContain) assertTrue(m.contains(s), "mentions '" + s + "': " + m);
        return e;
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        Path f = tmp.resolve("len.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(4000).array());
        fails(f, "header length 4000", "truncated");
    }

    @Test
    void headerLengthImplausible() throws IOException {
        Path f = tmp.resolve("huge.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).array());
        fails(f, "header length");
    }

    @Test
    void shorterThanTheLengthField() throws IOException {
        Path f = tmp.resolve("tiny.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        fails(f, "8-byte");
    }

    @Test
    void badJson() throws IOException {
        fails(file("{\"w\": {\"dtype\": \"F32\", ", 0), "JSON");
        fails(file("[1, 2]", 0), "not a JSON object");
        fails(file("{\"a\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} trailing", 4), "JSON");
        fails(file("{\"a\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\": {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "JSON", "a");
    }

    @Test
    void offsetsOutsideTheFile() throws IOException {
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12), "key 'w'", "data_offsets");
    }

    @Test
    void beginAfterEnd() throws IOException {
        fails(file("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8), "key 'w'", "begin > end");
    }

    @Test
    void overlappingTensors() throws IOException {
        fails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "key 'b'", "overlap", "'a'");
    }

    @Test
    void sizeDisagreesWithShapeAndDtype() throws IOException {
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24), "key 'w'", "24", "20");
    }

    @Test
    void unknownDtypeAndMalformedEntries() throws IOException {
        fails(file("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1), "key 'w'", "F8_E4M3");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "key 'w'", "shape");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "key 'w'", "data_offsets");
        fails(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "key 'w'", "data_offsets");
        fails(file("{\"__metadata__\":{\"n\":3}}", 0), "__metadata__.n", "strings");
    }

    @Test
    void truncatedRealFileNamesTheFirstTensorCut() throws IOException {
        byte[] all = Files.readAllBytes(Golden.path("dit/model.safetensors"));
        Path f = tmp.resolve("cut.safetensors");
        Files.write(f, Arrays.copyOf(all, all.length - 100));
        fails(f, "key '", "truncated");
    }

    @Test
    void unknownTensorNameNamesFileAndKey() throws IOException {
        try (SafeTensors st = SafeTensors.open(Golden.path("dit/model.safetensors"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.get("no.such.weight"));
            assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("no.such.weight"), e.getMessage());
        }
    }
}
