package org.dydit.prep.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text files through Hadoop's FileSystem appear whole under their name, or not at all. */
class StorageTest {
    @TempDir
    java.nio.file.Path tmp;

    private List<String> names() throws IOException {
        try (Stream<java.nio.file.Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesTextUnderATemporaryNameAndRefusesToReplace() throws IOException {
        Configuration conf = new Configuration();
        Path p = new Path(tmp.toUri().toString(), "manifest.json");
        Storage.writeText(p, conf, "{\"a\": 1}\n");
        assertEquals("{\"a\": 1}\n", Storage.readText(p, conf));
        assertEquals(List.of("manifest.json"), names());

        IOException e = assertThrows(IOException.class, () -> Storage.writeText(p, conf, "{}"));
        assertTrue(e.getMessage().contains("manifest.json") && e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("{\"a\": 1}\n", Storage.readText(p, conf));
        assertEquals(List.of("manifest.json"), names());
    }
}
