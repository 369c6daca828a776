package org.dydit.formats;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's .npz archives (np.savez: stored entries; np.savez_compressed: deflated), as the ADM evaluator's
 * reference batches use them. Entries are streamed one at a time from the zip's central directory and
 * checked against their CRC, so corruption is reported with the entry's name rather than read as numbers.
 */
public final class Npz {
    private Npz() {}

    /** All arrays, keyed by entry name without ".npy", in archive order. */
    public static LinkedHashMap<String, Tensor> read(Path f) throws IOException {
        if (!Files.exists(f)) throw new NoSuchFileException(f.toAbsolutePath().toString(), null, "no such .npz file");
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        try (ZipFile zip = openZip(f)) {
            Enumeration<? extends ZipEntry> en = zip.entries();
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory()) continue;
                String key = keyOf(e.getName());
                out.put(key, readEntry(zip, e, f, key));
            }
        }
        return out;
    }

    /** One array by key (with or without ".npy"); a missing key names the keys the archive holds. */
    public static Tensor read(Path f, String key) throws IOException {
        try (ZipFile zip = openZip(f)) {
            ZipEntry e = entry(zip, f, key);
            return readEntry(zip, e, f, keyOf(e.getName()));
        }
    }

    /** Array names without ".npy", in archive order, read from the zip directory only. */
    public static java.util.List<String> keys(Path f) throws IOException {
        java.util.List<String> keys = new java.util.ArrayList<>();
        try (ZipFile zip = openZip(f)) {
            zip.stream().filter(e -> !e.isDirectory()).forEach(e -> keys.add(keyOf(e.getName())));
        }
        return keys;
    }

    /** One array's dtype and shape, from its header only. */
    public static ArrayInfo info(Path f, String key) throws IOException {
        try (ZipFile zip = openZip(f)) {
            ZipEntry e = entry(zip, f, key);
            try (InputStream in = zip.getInputStream(e)) {
                NpyHeader h = NpyHeader.read(in, label(f, keyOf(e.getName())));
                return new ArrayInfo(h.dtype, h.shape);
            } catch (ZipException | java.io.EOFException ex) {
                throw FormatException.of(f, key, "corrupt or truncated archive entry: " + ex.getMessage(), ex);
            }
        }
    }

    /**
     * Streams one array in blocks of rows (see {@link Npy#readRows(Path, int, RowConsumer)}), for arrays larger
     * than the heap such as the ADM evaluator's 50,000-image sample batches. The entry's CRC is checked at the end.
     */
    public static void readRows(Path f, String key, int rowsPerChunk, RowConsumer consumer) throws IOException {
        try (ZipFile zip = openZip(f)) {
            ZipEntry e = entry(zip, f, key);
            String k = keyOf(e.getName());
            try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
                Npy.readRows(new BufferedInputStream(in, 1 << 16), label(f, k), rowsPerChunk, consumer);
                byte[] skip = new byte[8192];
                while (in.read(skip) >= 0) {
                    // drain for the CRC
                }
                if (e.getCrc() >= 0 && in.getChecksum().getValue() != e.getCrc()) {
                    throw FormatException.of(f, k, "CRC mismatch: the archive entry is corrupt");
                }
            } catch (ZipException | java.io.EOFException ex) {
                throw FormatException.of(f, k, "corrupt or truncated archive entry: " + ex.getMessage(), ex);
            }
        }
    }

    private static String label(Path f, String key) {
        return FormatException.message(f, key, "").replaceAll(": $", "");
    }

    private static ZipEntry entry(ZipFile zip, Path f, String key) throws FormatException {
        ZipEntry e = zip.getEntry(key.endsWith(".npy") ? key : key + ".npy");
        if (e == null) e = zip.getEntry(key);
        if (e == null) {
            StringBuilder keys = new StringBuilder();
            zip.stream().forEach(z -> keys.append(keys.length() == 0 ? "" : ", ").append(keyOf(z.getName())));
            throw FormatException.of(f, key, "no such array in the archive (it holds: " + keys + ")");
        }
        return e;
    }

    private static ZipFile openZip(Path f) throws IOException {
        try {
            return new ZipFile(f.toFile());
        } catch (ZipException e) {
            throw FormatException.of(f, null, "not a readable .npz (zip) archive, truncated or corrupt: " + e.getMessage(), e);
        }
    }

    private static String keyOf(String entry) {
        return entry.endsWith(".npy") ? entry.substring(0, entry.length() - 4) : entry;
    }

    private static Tensor readEntry(ZipFile zip, ZipEntry e, Path f, String key) throws IOException {
        String label = label(f, key);
        try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
            // Read-ahead is harmless: the rest of the entry is drained below for the CRC anyway.
            Tensor t = Npy.read(new BufferedInputStream(in, 1 << 16), label);
            byte[] skip = new byte[8192];
            while (in.read(skip) >= 0) {
                // numpy ignores bytes after the array; they still count for the CRC
            }
            if (e.getCrc() >= 0 && in.getChecksum().getValue() != e.getCrc()) {
                throw FormatException.of(f, key, "CRC mismatch: the archive entry is corrupt");
            }
            return t;
        } catch (ZipException | java.io.EOFException ex) {
            throw FormatException.of(f, key, "corrupt or truncated archive entry: " + ex.getMessage(), ex);
        }
    }

    /**
     * Writes atomically (temp file + rename): stored entries as np.savez does, or deflated as
     * np.savez_compressed does. Keys get ".npy" appended.
     */
    public static void write(Path f, Map<String, Tensor> arrays, boolean compressed) throws IOException {
        AtomicFile.write(f, ch -> {
            ZipOutputStream zip = new ZipOutputStream(Channels.newOutputStream(ch));
            for (Map.Entry<String, Tensor> a : arrays.entrySet()) {
                Tensor t = a.getValue();
                byte[] header = NpyHeader.format(t.dtype(), t.shape());
                ZipEntry e = new ZipEntry(a.getKey() + ".npy");
                if (compressed) {
                    e.setMethod(ZipEntry.DEFLATED);
                } else {
                    // A stored entry must announce its size and CRC before its data.
                    CRC32 crc = new CRC32();
                    crc.update(header);
                    crc.update(t.bytesNoCopy());
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(header.length + t.byteSize());
                    e.setCompressedSize(header.length + t.byteSize());
                    e.setCrc(crc.getValue());
                }
                zip.putNextEntry(e);
                zip.write(header);
                zip.write(t.bytesNoCopy());
                zip.closeEntry();
            }
            zip.finish();
            zip.flush();
        });
    }
}
