package org.dydit.formats;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A memory-mapped safetensors reader. The header is validated in full at {@link #open}; tensor data is
 * mapped lazily, one region per tensor, in windows of at most {@link #DEFAULT_WINDOW} bytes because one
 * {@link MappedByteBuffer} addresses at most 2 GiB. Files of any size open; a tensor too large for a Java
 * array is read piecewise with {@link #readFloats} or {@link #slice}. Safe for concurrent readers.
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header we accept: real headers are kilobytes; this bounds the heap a hostile file can claim. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    /** Largest single mapping: 2 GiB minus 8, a multiple of every element size. */
    static final long DEFAULT_WINDOW = Integer.MAX_VALUE - 7L;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One tensor's header entry, with its absolute position in the file. */
    private static final class Entry {
        final String name;
        final DType dtype;
        final long[] shape;
        final long numel;
        final long fileOffset;
        final long byteSize;
        volatile ByteBuffer[] windows;

        Entry(String name, DType dtype, long[] shape, long numel, long fileOffset, long byteSize) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.numel = numel;
            this.fileOffset = fileOffset;
            this.byteSize = byteSize;
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final long window;
    private final Map<String, Entry> entries;        // in file-offset order
    private final Map<String, String> metadata;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    private SafeTensors(Path path, FileChannel channel, long window, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.window = window;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafeTensors open(Path file) throws IOException {
        return open(file, DEFAULT_WINDOW);
    }

    /** Test knob: the largest single mapping, so multi-window reads can be tested on small files. */
    static SafeTensors open(Path file, long windowBytes) throws IOException {
        if (windowBytes <= 0 || windowBytes % 8 != 0 || windowBytes > DEFAULT_WINDOW + 7) {
            throw new IllegalArgumentException("window must be a positive multiple of 8 up to 2 GiB: " + windowBytes);
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) {
                throw FormatException.of(file, null, "not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file);
            long n = lenBuf.getLong(0);
            if (n < 2 || n > MAX_HEADER_BYTES) {
                throw FormatException.of(file, null, "header length " + Long.toUnsignedString(n)
                        + " is outside 2.." + MAX_HEADER_BYTES + " bytes (corrupt or not a safetensors file)");
            }
            if (8 + n > size) {
                throw FormatException.of(file, null, "header length " + n + " runs past the end of the file ("
                        + size + " bytes): truncated or corrupt");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8, file);
            long dataStart = 8 + n;
            SafeTensors st = parseHeader(file, ch, windowBytes, hb.array(), dataStart, size - dataStart);
            return st;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long pos, Path file) throws IOException {
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos + dst.position());
            if (r < 0) throw FormatException.of(file, null, "unexpected end of file while reading the header");
        }
    }

    private static SafeTensors parseHeader(Path file, FileChannel ch, long window, byte[] header, long dataStart, long dataLen)
            throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(new String(header, StandardCharsets.UTF_8).trim());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw FormatException.of(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(root instanceof ObjectNode)) {
            throw FormatException.of(file, null, "header is not a JSON object");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        List<Entry> list = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey();
            JsonNode v = f.getValue();
            if (key.equals("__metadata__")) {
                if (!v.isObject()) throw FormatException.of(file, key, "__metadata__ must be an object of strings");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = m.next();
                    if (!e.getValue().isTextual()) {
                        throw FormatException.of(file, "__metadata__." + e.getKey(), "metadata values must be strings, got " + e.getValue().getNodeType());
                    }
                    meta.put(e.getKey(), e.getValue().asText());
                }
                continue;
            }
            list.add(parseEntry(file, key, v, dataStart, dataLen));
        }
        list.sort(Comparator.comparingLong((Entry e) -> e.fileOffset).thenComparingLong(e -> e.byteSize));
        long prevEnd = dataStart;
        String prevName = null;
        for (Entry e : list) {
            if (e.fileOffset < prevEnd) {
                throw FormatException.of(file, e.name, "data_offsets overlap those of '" + prevName + "'");
            }
            if (e.byteSize > 0) {     // empty tensors may share an offset with anything
                prevEnd = e.fileOffset + e.byteSize;
                prevName = e.name;
            }
        }
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : list) byName.put(e.name, e);
        return new SafeTensors(file, ch, window, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(meta));
    }

    private static Entry parseEntry(Path file, String key, JsonNode v, long dataStart, long dataLen) throws FormatException {
        if (!v.isObject()) throw FormatException.of(file, key, "entry is not a JSON object");
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw FormatException.of(file, key, "missing or non-string 'dtype'");
        if (sh == null || !sh.isArray()) throw FormatException.of(file, key, "missing or non-array 'shape'");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw FormatException.of(file, key, "'data_offsets' must be an array [begin, end]");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dt.asText());
        } catch (IllegalArgumentException e) {
            throw FormatException.of(file, key, e.getMessage());
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw FormatException.of(file, key, "shape " + sh + " holds a value that is not a non-negative integer");
            }
            shape[i] = d.asLong();
        }
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode d = off.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw FormatException.of(file, key, "data_offsets " + off + " hold a value that is not a non-negative integer");
            }
            be[i] = d.asLong();
        }
        if (be[0] > be[1]) throw FormatException.of(file, key, "data_offsets " + off + " have begin > end");
        if (be[1] > dataLen) {
            throw FormatException.of(file, key, "data_offsets " + off + " end past the data section (" + dataLen
                    + " bytes after the header): truncated or corrupt file");
        }
        long numel;
        long bytes;
        try {
            numel = Tensor.numel(shape);
            bytes = Math.multiplyExact(numel, dtype.bytes());
        } catch (ArithmeticException e) {
            throw FormatException.of(file, key, "shape " + Arrays.toString(shape) + " overflows");
        }
        if (bytes != be[1] - be[0]) {
            throw FormatException.of(file, key, "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                    + " bytes but data_offsets " + off + " span " + (be[1] - be[0]));
        }
        return new Entry(key, dtype, shape, numel, dataStart + be[0], bytes);
    }

    public Path path() {
        return path;
    }

    /** Tensor names in file-offset order ({@code __metadata__} excluded). */
    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    public DType dtype(String name) {
        return entry(name).dtype;
    }

    public long[] shape(String name) {
        return entry(name).shape.clone();
    }

    public long numel(String name) {
        return entry(name).numel;
    }

    /** {@code __metadata__}, empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    private Entry entry(String name) {
        if (!channel.isOpen()) throw new IllegalStateException(path + ": read after close()");
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(FormatException.message(path, name,
                    "no such tensor (the file holds " + entries.size() + ": " + preview() + ")"));
        }
        return e;
    }

    private String preview() {
        List<String> n = names();
        return n.size() <= 8 ? String.join(", ", n) : String.join(", ", n.subList(0, 8)) + ", ...";
    }

    /** The read-only little-endian mapped windows of one tensor; each but the last is exactly {@code window} bytes. */
    private ByteBuffer[] windows(Entry e) {
        ByteBuffer[] w = e.windows;
        if (w != null) return w;
        synchronized (locks.computeIfAbsent(e.name, k -> new Object())) {
            if (e.windows != null) return e.windows;
            int count = (int) Math.max(1, (e.byteSize + window - 1) / window);
            w = new ByteBuffer[count];
            try {
                for (int i = 0; i < count; i++) {
                    long start = i * window;
                    long len = Math.min(window, e.byteSize - start);
                    w[i] = channel.map(FileChannel.MapMode.READ_ONLY, e.fileOffset + start, len).order(ByteOrder.LITTLE_ENDIAN);
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(FormatException.message(path, e.name, "cannot map tensor data: " + ex.getMessage()), ex);
            }
            e.windows = w;
            return w;
        }
    }

    /**
     * A read-only little-endian view of {@code len} bytes of tensor {@code name} starting at {@code byteOffset}
     * (relative to the tensor's start). Zero-copy when the range lies in one mapping, else a heap copy.
     */
    public ByteBuffer slice(String name, long byteOffset, int len) {
        Entry e = entry(name);
        if (byteOffset < 0 || len < 0 || byteOffset + len > e.byteSize) {
            throw new IndexOutOfBoundsException(FormatException.message(path, name, "byte range [" + byteOffset + ", "
                    + (byteOffset + len) + ") outside the tensor's " + e.byteSize + " bytes"));
        }
        ByteBuffer[] w = windows(e);
        int wi = (int) (byteOffset / window);
        int wo = (int) (byteOffset - wi * window);
        if (wo + (long) len <= w[wi].capacity()) {
            return w[wi].slice(wo, len).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        byte[] out = new byte[len];
        copy(e, byteOffset, out, 0, len);
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The whole tensor's bytes as one zero-copy mapped view; only for tensors under 2 GiB. */
    public ByteBuffer buffer(String name) {
        Entry e = entry(name);
        if (e.byteSize > window) {
            throw new IllegalStateException(FormatException.message(path, name, e.byteSize
                    + " bytes do not fit one buffer; read it piecewise with slice() or readFloats()"));
        }
        return slice(name, 0, (int) e.byteSize);
    }

    private void copy(Entry e, long byteOffset, byte[] dst, int dstOff, int len) {
        ByteBuffer[] w = windows(e);
        while (len > 0) {
            int wi = (int) (byteOffset / window);
            int wo = (int) (byteOffset - wi * window);
            int n = (int) Math.min(len, w[wi].capacity() - wo);
            w[wi].get(wo, dst, dstOff, n);     // absolute bulk get: no shared position, thread-safe
            byteOffset += n;
            dstOff += n;
            len -= n;
        }
    }

    /** Reads {@code dst.length} elements starting at element {@code elementOffset}, converted to float. */
    public void readFloats(String name, long elementOffset, float[] dst) {
        readFloats(name, elementOffset, dst, 0, dst.length);
    }

    public void readFloats(String name, long elementOffset, float[] dst, int off, int count) {
        Entry e = entry(name);
        checkRange(e, elementOffset, count);
        int es = e.dtype.bytes();
        long per = window / es;          // window is a multiple of 8, so no element straddles two windows
        ByteBuffer[] w = windows(e);
        while (count > 0) {
            int wi = (int) (elementOffset / per);
            int wo = (int) ((elementOffset - wi * per) * es);
            int n = (int) Math.min(count, (w[wi].capacity() - wo) / es);
            Codec.toFloats(e.dtype, w[wi].duplicate().position(wo), dst, off, n);
            elementOffset += n;
            off += n;
            count -= n;
        }
    }

    /** Reads {@code dst.length} elements starting at element {@code elementOffset}, converted to double. */
    public void readDoubles(String name, long elementOffset, double[] dst) {
        Entry e = entry(name);
        int count = dst.length;
        checkRange(e, elementOffset, count);
        int es = e.dtype.bytes();
        long per = window / es;
        ByteBuffer[] w = windows(e);
        int off = 0;
        while (count > 0) {
            int wi = (int) (elementOffset / per);
            int wo = (int) ((elementOffset - wi * per) * es);
            int n = (int) Math.min(count, (w[wi].capacity() - wo) / es);
            Codec.toDoubles(e.dtype, w[wi].duplicate().position(wo), dst, off, n);
            elementOffset += n;
            off += n;
            count -= n;
        }
    }

    private void checkRange(Entry e, long elementOffset, int count) {
        if (elementOffset < 0 || count < 0 || elementOffset + count > e.numel) {
            throw new IndexOutOfBoundsException(FormatException.message(path, e.name, "elements [" + elementOffset + ", "
                    + (elementOffset + count) + ") outside the tensor's " + e.numel));
        }
    }

    /** Copies one tensor to the heap. Unknown names throw IllegalArgumentException naming file and key. */
    public Tensor get(String name) {
        Entry e = entry(name);
        if (e.byteSize > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(FormatException.message(path, name, e.byteSize
                    + " bytes exceed a Java array; read it piecewise with readFloats() or slice()"));
        }
        byte[] out = new byte[(int) e.byteSize];
        if (out.length > 0) copy(e, 0, out, 0, out.length);
        return Tensor.wrap(e.dtype, e.shape, out);
    }

    public float[] floats(String name) {
        Entry e = entry(name);
        float[] out = new float[arrayLength(e)];
        readFloats(name, 0, out);
        return out;
    }

    public double[] doubles(String name) {
        Entry e = entry(name);
        double[] out = new double[arrayLength(e)];
        readDoubles(name, 0, out);
        return out;
    }

    public long[] longs(String name) {
        return get(name).toLongs();
    }

    public int[] ints(String name) {
        return get(name).toInts();
    }

    private int arrayLength(Entry e) {
        if (e.numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(FormatException.message(path, e.name, e.numel
                    + " elements exceed a Java array; read it piecewise with readFloats()"));
        }
        return (int) e.numel;
    }

    /** Every tensor copied to the heap, in file order. */
    public LinkedHashMap<String, Tensor> getAll() {
        LinkedHashMap<String, Tensor> all = new LinkedHashMap<>();
        for (String n : entries.keySet()) all.put(n, get(n));
        return all;
    }

    /** Closes the file; mapped views already handed out stay valid until garbage-collected. */
    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SafeTensors(" + path + ", " + entries.size() + " tensors)";
    }
}
