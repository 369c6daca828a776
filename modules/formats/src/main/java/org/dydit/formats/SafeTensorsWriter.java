package org.dydit.formats;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files tensor by tensor to a temp file renamed into place when complete. The header is
 * padded with spaces to a multiple of 8 bytes, as the reference implementation does, and tensors are laid
 * out by element size (largest first, input order otherwise) so every tensor starts aligned to its element.
 */
public final class SafeTensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensorsWriter() {}

    /** A tensor whose bytes are produced while writing, for tensors that are not (or cannot be) in one array. */
    public interface Source {
        DType dtype();

        long[] shape();

        /** Writes exactly numel(shape) x dtype.bytes() little-endian bytes. */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Collections.emptyMap());
    }

    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        LinkedHashMap<String, Source> src = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t == null) throw new IllegalArgumentException(FormatException.message(file, e.getKey(), "tensor is null"));
            src.put(e.getKey(), source(t));
        }
        writeSources(file, src, metadata);
    }

    /** A heap tensor as a source. */
    public static Source source(Tensor t) {
        return new Source() {
            public DType dtype() { return t.dtype(); }
            public long[] shape() { return t.shape(); }
            public void writeTo(WritableByteChannel out) throws IOException {
                ByteBuffer b = ByteBuffer.wrap(t.bytesNoCopy());
                while (b.hasRemaining()) out.write(b);
            }
        };
    }

    /** Streams each source into the file in turn; nothing but the header is held in memory. */
    public static void writeSources(Path file, Map<String, ? extends Source> tensors, Map<String, String> metadata) throws IOException {
        if (tensors.containsKey("__metadata__")) {
            throw new IllegalArgumentException(FormatException.message(file, "__metadata__", "reserved name cannot be a tensor"));
        }
        List<String> order = new ArrayList<>(tensors.keySet());
        // Stable sort: equal element sizes keep the caller's order.
        order.sort(Comparator.comparingInt((String n) -> -tensors.get(n).dtype().bytes()));
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getValue() == null) throw new IllegalArgumentException(FormatException.message(file, "__metadata__." + e.getKey(), "null value"));
                m.put(e.getKey(), e.getValue());
            }
        }
        long[] sizes = new long[order.size()];
        long offset = 0;
        for (int i = 0; i < order.size(); i++) {
            String name = order.get(i);
            Source s = tensors.get(name);
            long[] shape = s.shape();
            sizes[i] = Math.multiplyExact(Tensor.numel(shape), s.dtype().bytes());
            ObjectNode t = header.putObject(name);
            t.put("dtype", s.dtype().safetensorsName());
            ArrayNode sh = t.putArray("shape");
            for (long d : shape) sh.add(d);
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            off.add(offset + sizes[i]);
            offset += sizes[i];
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] h = Arrays.copyOf(json, padded);
        Arrays.fill(h, json.length, padded, (byte) ' ');
        final long dataLen = offset;
        AtomicFile.write(file, ch -> {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            writeAll(ch, lenBuf);
            writeAll(ch, ByteBuffer.wrap(h));
            for (int i = 0; i < order.size(); i++) {
                long before = ch.position();
                tensors.get(order.get(i)).writeTo(ch);
                long wrote = ch.position() - before;
                if (wrote != sizes[i]) {
                    throw new IOException(FormatException.message(file, order.get(i), "source wrote " + wrote
                            + " bytes, its shape and dtype need " + sizes[i]));
                }
            }
            if (ch.position() != 8 + padded + dataLen) throw new IOException(file + ": internal size mismatch");
        });
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Header JSON as UTF-8, for callers that want to inspect what would be written. */
    static String headerJson(byte[] h) {
        return new String(h, StandardCharsets.UTF_8);
    }
}
