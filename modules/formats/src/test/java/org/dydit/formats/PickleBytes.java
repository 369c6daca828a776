package org.dydit.formats;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Hand-written pickle opcodes and torch.save-style zips, for tests that need exact (or hostile) bytes. */
final class PickleBytes {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    PickleBytes op(int... ops) {
        for (int o : ops) b.write(o);
        return this;
    }

    PickleBytes raw(byte[] x) {
        b.write(x, 0, x.length);
        return this;
    }

    PickleBytes proto(int v) {
        return op(0x80, v);
    }

    PickleBytes mark() {
        return op('(');
    }

    /** BINUNICODE */
    PickleBytes str(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(u.length).array());
        return raw(u);
    }

    /** SHORT_BINUNICODE (protocol 4) */
    PickleBytes shortStr(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        op(0x8c, u.length);
        return raw(u);
    }

    /** BININT */
    PickleBytes i(long v) {
        op('J');
        return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    PickleBytes f(double v) {
        op('G');
        return raw(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(v).array());
    }

    /** GLOBAL "module\nname\n" */
    PickleBytes global(String module, String name) {
        op('c');
        return raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    }

    PickleBytes tuple() {
        return op('t');
    }

    PickleBytes reduce() {
        return op('R');
    }

    /** A protocol-2 tensor view on storage {@code key} as torch.save writes it. */
    PickleBytes tensor(String storageType, String key, long storageNumel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", storageType).str(key).str("cpu").i(storageNumel).tuple().op('Q');
        i(offset);
        mark();
        for (long s : size) i(s);
        tuple();
        mark();
        for (long s : stride) i(s);
        tuple();
        op(0x89);                                            // requires_grad False
        global("collections", "OrderedDict").op(')').reduce();   // backward hooks
        tuple();
        return reduce();
    }

    byte[] bytes() {
        return b.toByteArray();
    }

    /** A torch.save zip: top/data.pkl, top/data/KEY for each storage, optional top/byteorder. Entries stored. */
    static void writePt(Path f, String top, byte[] pkl, Map<String, byte[]> storages, String byteorder) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            stored(z, top + "/data.pkl", pkl);
            if (byteorder != null) stored(z, top + "/byteorder", byteorder.getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, byte[]> e : storages.entrySet()) stored(z, top + "/data/" + e.getKey(), e.getValue());
            stored(z, top + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 c = new CRC32();
        c.update(data);
        e.setCrc(c.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
