package org.dydit.formats;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch checkpoints written by {@code torch.save} (the zip format of PyTorch 1.6 and later):
 * {@code <top>/data.pkl}, a pickle whose tensors point at raw little-endian storages {@code <top>/data/<key>}.
 * The pickle is read by {@link RestrictedUnpickler} under {@link TorchResolver}'s allow-list, so loading
 * never runs code. Tensors are materialised lazily, only for the part of the tree asked for, so taking
 * the EMA weights of a training checkpoint does not copy its raw weights and optimizer state into the heap.
 */
public final class TorchCheckpoint {
    private TorchCheckpoint() {}

    /**
     * The state dict to use: {@code which} ("ema", the default when null, or "model") when the top level is a
     * dict holding it, as DiT's {@code find_model} does; the top level itself when it is a bare state dict.
     */
    public static LinkedHashMap<String, Tensor> loadStateDict(Path pt, String which) throws IOException {
        String key = which == null || which.isEmpty() ? "ema" : which;
        try (Archive a = Archive.open(pt)) {
            Object top = a.unpickle();
            if (!(top instanceof Map)) {
                throw FormatException.of(pt, null, "top-level object is a " + describe(top) + ", not a dict");
            }
            Map<?, ?> m = (Map<?, ?>) top;
            Object sd;
            String path;
            if (m.get(key) instanceof Map) {
                sd = m.get(key);
                path = key;
            } else if (isStateDict(m)) {
                sd = m;
                path = "";
            } else {
                throw FormatException.of(pt, key, "no state dict under this key; the checkpoint's top-level keys are "
                        + keysOf(m) + " (use \"ema\" or \"model\" for a DiT training checkpoint)");
            }
            LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) sd).entrySet()) {
                String name = path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey();
                if (!(e.getKey() instanceof String)) throw FormatException.of(pt, name, "state dict key is not a string");
                if (!(e.getValue() instanceof TorchResolver.TensorRef)) {
                    throw FormatException.of(pt, name, "state dict value is a " + describe(e.getValue()) + ", not a tensor");
                }
                out.put((String) e.getKey(), a.tensor((TorchResolver.TensorRef) e.getValue(), name));
            }
            return out;
        }
    }

    /** The whole object tree: Map / List / Set / Tensor / Long / Double / String / Boolean / byte[] / null. */
    public static Object load(Path pt) throws IOException {
        try (Archive a = Archive.open(pt)) {
            return a.materialize(a.unpickle(), "", new IdentityHashMap<>());
        }
    }

    private static boolean isStateDict(Map<?, ?> m) {
        if (m.isEmpty()) return false;
        for (Object v : m.values()) {
            if (!(v instanceof TorchResolver.TensorRef)) return false;
        }
        return true;
    }

    private static String keysOf(Map<?, ?> m) {
        List<String> k = new ArrayList<>();
        for (Object o : m.keySet()) k.add(String.valueOf(o));
        return k.size() > 12 ? k.subList(0, 12) + "..." : k.toString();
    }

    static String describe(Object o) {
        if (o instanceof TorchResolver.TensorRef) return "tensor";
        if (o instanceof Map) return "dict";
        if (o instanceof List) return "list/tuple";
        return RestrictedUnpickler.typeName(o);
    }

    /** An open checkpoint zip: its top folder, byte order, and storage entries. */
    private static final class Archive implements AutoCloseable {
        final Path file;
        final ZipFile zip;
        final String prefix;     // "model/" or "archive/" ...
        final boolean bigEndian;

        private Archive(Path file, ZipFile zip, String prefix, boolean bigEndian) {
            this.file = file;
            this.zip = zip;
            this.prefix = prefix;
            this.bigEndian = bigEndian;
        }

        static Archive open(Path file) throws IOException {
            if (!Files.exists(file)) throw new NoSuchFileException(file.toAbsolutePath().toString(), null, "no such checkpoint");
            ZipFile zip;
            try {
                zip = new ZipFile(file.toFile());
            } catch (ZipException e) {
                throw FormatException.of(file, null, notZipReason(file) + " (" + e.getMessage() + ")", e);
            }
            try {
                List<String> pkls = new ArrayList<>();
                zip.stream().forEach(en -> {
                    String n = en.getName();
                    if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - 9) pkls.add(n);
                });
                if (pkls.isEmpty()) {
                    throw FormatException.of(file, null, "no <folder>/data.pkl entry: not a torch.save checkpoint"
                            + " (TorchScript archives and other zips are not read)");
                }
                if (pkls.size() > 1) throw FormatException.of(file, null, "several data.pkl entries " + pkls + ": ambiguous checkpoint");
                String prefix = pkls.get(0).substring(0, pkls.get(0).length() - 8);
                boolean big = false;
                ZipEntry bo = zip.getEntry(prefix + "byteorder");
                if (bo != null) {
                    String s = new String(readEntry(zip, bo, file, prefix + "byteorder", 64), java.nio.charset.StandardCharsets.US_ASCII).trim();
                    if (s.equals("big")) big = true;
                    else if (!s.equals("little")) throw FormatException.of(file, prefix + "byteorder", "unknown byte order '" + s + "'");
                }
                return new Archive(file, zip, prefix, big);
            } catch (IOException | RuntimeException e) {
                zip.close();
                throw e;
            }
        }

        private static String notZipReason(Path file) throws IOException {
            byte[] head = new byte[2];
            try (InputStream in = Files.newInputStream(file)) {
                int r = in.readNBytes(head, 0, 2);
                if (r == 2 && (head[0] & 0xff) == 0x80 && head[1] == 2) {
                    return "legacy (pre-1.6) torch.save format, which is not read; re-save it with a current PyTorch";
                }
                if (r == 2 && head[0] == 'P' && head[1] == 'K') {
                    return "truncated or corrupt zip archive (its central directory cannot be read)";
                }
            }
            return "not a PyTorch zip checkpoint (truncated or corrupt)";
        }

        Object unpickle() throws IOException {
            String entry = prefix + "data.pkl";
            byte[] pkl = readEntry(zip, zip.getEntry(entry), file, entry, Integer.MAX_VALUE - 8);
            TorchResolver r = new TorchResolver(file, entry);
            return new RestrictedUnpickler(pkl, FormatException.message(file, entry, "").replaceAll(": $", ""), r).load();
        }

        Tensor tensor(TorchResolver.TensorRef t, String name) throws IOException {
            DType dt = t.storage.dtype;
            int es = dt.bytes();
            int r = t.size.length;
            long numel = 1;
            long maxOff = t.offset;
            for (int i = 0; i < r; i++) {
                numel = Math.multiplyExact(numel, t.size[i]);
                if (t.size[i] > 0) maxOff += (t.size[i] - 1) * t.stride[i];
            }
            if (numel == 0) return Tensor.wrap(dt, t.size, new byte[0]);
            if (maxOff >= t.storage.numel) {
                throw FormatException.of(file, name, "view (offset " + t.offset + ", size " + java.util.Arrays.toString(t.size)
                        + ", stride " + java.util.Arrays.toString(t.stride) + ") reaches element " + maxOff
                        + " of a storage of " + t.storage.numel);
            }
            long regionBytes = (maxOff - t.offset + 1) * es;
            if (Math.multiplyExact(numel, es) > Integer.MAX_VALUE - 8 || regionBytes > Integer.MAX_VALUE - 8) {
                throw FormatException.of(file, name, "tensor of " + numel + " " + dt + " exceeds a Java array (2 GiB)");
            }
            String entry = prefix + "data/" + t.storage.key;
            ZipEntry ze = zip.getEntry(entry);
            if (ze == null) throw FormatException.of(file, name, "its storage entry '" + entry + "' is missing");
            if (ze.getSize() >= 0 && ze.getSize() < t.storage.numel * es) {
                throw FormatException.of(file, name, "storage entry '" + entry + "' holds " + ze.getSize() + " bytes, the pickle says "
                        + t.storage.numel + " x " + dt + " (truncated or corrupt)");
            }
            byte[] region = readRegion(ze, entry, name, t.offset * es, (int) regionBytes);
            if (bigEndian && es > 1) swap(region, es);
            if (isContiguous(t.size, t.stride)) return Tensor.wrap(dt, t.size, region);
            byte[] out = new byte[(int) (numel * es)];
            int[] idx = new int[r];
            long src = 0;   // element offset within region
            for (long c = 0; c < numel; c++) {
                System.arraycopy(region, (int) (src * es), out, (int) (c * es), es);
                for (int k = r - 1; k >= 0; k--) {
                    idx[k]++;
                    src += t.stride[k];
                    if (idx[k] < t.size[k]) break;
                    src -= t.stride[k] * t.size[k];
                    idx[k] = 0;
                }
            }
            return Tensor.wrap(dt, t.size, out);
        }

        private static boolean isContiguous(long[] size, long[] stride) {
            long expect = 1;
            for (int k = size.length - 1; k >= 0; k--) {
                if (size[k] != 1 && stride[k] != expect) return false;
                expect *= size[k];
            }
            return true;
        }

        private static void swap(byte[] d, int es) {
            for (int i = 0; i < d.length; i += es) {
                for (int a = i, b = i + es - 1; a < b; a++, b--) {
                    byte x = d[a];
                    d[a] = d[b];
                    d[b] = x;
                }
            }
        }

        /** Bytes [start, start+len) of a storage; the CRC is checked whenever the whole entry is read. */
        private byte[] readRegion(ZipEntry ze, String entry, String name, long start, int len) throws IOException {
            byte[] out = new byte[len];
            try (InputStream in = zip.getInputStream(ze)) {
                long skipped = in.skip(start);
                while (skipped < start) {
                    long s = in.skip(start - skipped);
                    if (s <= 0) {
                        if (in.read() < 0) break;
                        s = 1;
                    }
                    skipped += s;
                }
                int got = skipped < start ? 0 : in.readNBytes(out, 0, len);
                if (got < len) {
                    throw FormatException.of(file, name, "storage entry '" + entry + "' ends before the tensor's data (truncated)");
                }
                if (start == 0 && ze.getSize() == len && ze.getCrc() >= 0) {
                    CRC32 crc = new CRC32();
                    crc.update(out);
                    if (crc.getValue() != ze.getCrc()) throw FormatException.of(file, name, "CRC mismatch in storage entry '" + entry + "' (corrupt file)");
                }
            } catch (ZipException | java.io.EOFException e) {
                throw FormatException.of(file, name, "corrupt storage entry '" + entry + "': " + e.getMessage(), e);
            }
            return out;
        }

        private static byte[] readEntry(ZipFile zip, ZipEntry ze, Path file, String entry, int max) throws IOException {
            if (ze.getSize() > max) throw FormatException.of(file, entry, "entry of " + ze.getSize() + " bytes is implausibly large");
            try (InputStream in = zip.getInputStream(ze)) {
                byte[] b = in.readNBytes(max);
                if (ze.getSize() >= 0 && b.length != ze.getSize()) throw FormatException.of(file, entry, "truncated entry");
                CRC32 crc = new CRC32();
                crc.update(b);
                if (ze.getCrc() >= 0 && crc.getValue() != ze.getCrc()) throw FormatException.of(file, entry, "CRC mismatch (corrupt file)");
                return b;
            } catch (ZipException | java.io.EOFException e) {
                throw FormatException.of(file, entry, "corrupt entry: " + e.getMessage(), e);
            }
        }

        /** Replaces lazy tensors with heap tensors; shared containers stay shared, cycles are kept. */
        @SuppressWarnings("unchecked")
        Object materialize(Object o, String path, IdentityHashMap<Object, Object> done) throws IOException {
            if (o == null) return null;
            Object prev = done.get(o);
            if (prev != null) return prev;
            if (o instanceof TorchResolver.TensorRef) {
                Tensor t = tensor((TorchResolver.TensorRef) o, path);
                done.put(o, t);
                return t;
            }
            if (o instanceof Map) {
                Map<Object, Object> m = new LinkedHashMap<>();
                done.put(o, m);
                for (Map.Entry<Object, Object> e : ((Map<Object, Object>) o).entrySet()) {
                    m.put(e.getKey(), materialize(e.getValue(), join(path, String.valueOf(e.getKey())), done));
                }
                return m;
            }
            if (o instanceof List) {
                List<Object> src = (List<Object>) o;
                List<Object> l = new ArrayList<>(src.size());
                boolean tuple = !(o instanceof ArrayList);
                done.put(o, l);
                for (int i = 0; i < src.size(); i++) l.add(materialize(src.get(i), join(path, String.valueOf(i)), done));
                return tuple ? Collections.unmodifiableList(l) : l;
            }
            if (o instanceof Set) {
                Set<Object> s = new LinkedHashSet<>();
                done.put(o, s);
                for (Object x : (Set<Object>) o) s.add(materialize(x, path, done));
                return s;
            }
            if (o instanceof RestrictedUnpickler.Global) return o.toString();
            return o;
        }

        private static String join(String path, String k) {
            return path.isEmpty() ? k : path + "." + k;
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }
}
