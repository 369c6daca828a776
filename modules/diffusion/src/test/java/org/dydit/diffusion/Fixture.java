package org.dydit.diffusion;

import org.dydit.formats.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A golden file that remembers which tensors a test read, so the test can prove it checked all of them. */
final class Fixture implements AutoCloseable {
    private final SafeTensors file;
    private final Set<String> read = new LinkedHashSet<>();

    Fixture(Path path) throws IOException {
        this.file = SafeTensors.open(path);
    }

    long[] shape(String name) {
        return file.shape(name);
    }

    float[] floats(String name) {
        read.add(name);
        return file.floats(name);
    }

    double[] doubles(String name) {
        read.add(name);
        return file.doubles(name);
    }

    int[] ints(String name) {
        read.add(name);
        return Arrays.stream(file.longs(name)).mapToInt(Math::toIntExact).toArray();
    }

    Map<String, String> metadata() {
        return file.metadata();
    }

    /** Fails when the file holds a tensor the test never compared or used. */
    void assertAllRead() {
        Set<String> unread = new LinkedHashSet<>(file.names());
        unread.removeAll(read);
        assertEquals(Set.of(), unread, file.path() + ": tensors not covered by the test");
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
