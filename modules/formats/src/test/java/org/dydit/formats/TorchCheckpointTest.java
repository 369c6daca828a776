package org.dydit.formats;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-built torch.save archives: views, shared storages, byte order, protocol-4 opcodes, and hostile input. */
class TorchCheckpointTest {
    @TempDir
    Path tmp;

    private static final int N = 24;

    /** Storage values: s[k] = k * 0.5 - 3. */
    private static float s(long k) {
        return k * 0.5f - 3f;
    }

    private static byte[] storage(ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(4 * N).order(order);
        for (int k = 0; k < N; k++) b.putFloat(s(k));
        return b.array();
    }

    /** The view's values by the definition of a strided view: out[i][j] = s[off + i*st0 + j*st1]. */
    private static float[] view2d(long off, long[] size, long[] stride) {
        float[] out = new float[(int) (size[0] * size[1])];
        for (int i = 0; i < size[0]; i++) {
            for (int j = 0; j < size[1]; j++) out[(int) (i * size[1] + j)] = s(off + i * stride[0] + j * stride[1]);
        }
        return out;
    }

    private Path viewsCheckpoint(String name, String top, ByteOrder order, String byteorder) throws IOException {
        PickleBytes p = new PickleBytes().proto(2).op('}').mark();
        p.str("plain").tensor("FloatStorage", "0", N, 2, new long[] {3, 4}, new long[] {4, 1});
        p.str("transposed").tensor("FloatStorage", "0", N, 1, new long[] {4, 3}, new long[] {1, 4});
        p.str("strided").tensor("FloatStorage", "0", N, 3, new long[] {2, 2}, new long[] {8, 2});
        p.str("broadcast").tensor("FloatStorage", "0", N, 5, new long[] {2, 3}, new long[] {0, 1});
        p.op('u', '.');
        Path f = tmp.resolve(name);
        Map<String, byte[]> st = new LinkedHashMap<>();
        st.put("0", storage(order));
        PickleBytes.writePt(f, top, p.bytes(), st, byteorder);
        return f;
    }

    private static void assertViews(LinkedHashMap<String, Tensor> sd) {
        assertEquals(List.of("plain", "transposed", "strided", "broadcast"), List.copyOf(sd.keySet()));
        assertArrayEquals(view2d(2, new long[] {3, 4}, new long[] {4, 1}), sd.get("plain").toFloats());
        assertArrayEquals(view2d(1, new long[] {4, 3}, new long[] {1, 4}), sd.get("transposed").toFloats());
        assertArrayEquals(view2d(3, new long[] {2, 2}, new long[] {8, 2}), sd.get("strided").toFloats());
        assertArrayEquals(view2d(5, new long[] {2, 3}, new long[] {0, 1}), sd.get("broadcast").toFloats());
        assertArrayEquals(new long[] {4, 3}, sd.get("transposed").shape());
    }

    @Test
    void viewsOfOneSharedStorageAnyTopFolder() throws IOException {
        assertViews(TorchCheckpoint.loadStateDict(viewsCheckpoint("a.pt", "whatever_name", ByteOrder.LITTLE_ENDIAN, "little"), "ema"));
        assertViews(TorchCheckpoint.loadStateDict(viewsCheckpoint("b.pt", "archive", ByteOrder.LITTLE_ENDIAN, null), "model"));
    }

    @Test
    void bigEndianArchivesAreSwapped() throws IOException {
        assertViews(TorchCheckpoint.loadStateDict(viewsCheckpoint("be.pt", "archive", ByteOrder.BIG_ENDIAN, "big"), null));
    }

    @Test
    @SuppressWarnings("unchecked")
    void protocol4OpcodesAndNamespace() throws IOException {
        // {'args': Namespace(name='DiT-S/2', lr=1e-4, big=2**70, flag=True, none=None, sizes=torch.Size([2, 3])),
        //  'list': [1, -2, 300000]}  with FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE, LONG1.
        PickleBytes p = new PickleBytes().proto(4).op(0x95).raw(new byte[8]).op('}', 0x94).mark();
        p.shortStr("args").op(0x94).shortStr("argparse").shortStr("Namespace").op(0x93, 0x94).op(')', 0x81, 0x94);
        p.op('}').mark();
        p.shortStr("name").shortStr("DiT-S/2").shortStr("lr").f(1e-4);
        p.shortStr("big").op(0x8a, 9).raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 64});
        p.shortStr("neg").op(0x8a, 1, 0xfe);
        p.shortStr("flag").op(0x88).shortStr("none").op('N');
        p.shortStr("sizes").shortStr("torch").shortStr("Size").op(0x93).op('K', 2).op('K', 3).op(0x86).op(0x85).reduce();
        p.op('u', 'b');
        p.shortStr("list").op(']', 0x94).mark().op('K', 1).i(-2).i(300000).op('e');
        p.shortStr("again").op('h', 0);            // memo 0 is the top dict itself: a cycle
        p.op('u', '.');
        Path f = tmp.resolve("p4.pt");
        PickleBytes.writePt(f, "ckpt", p.bytes(), Map.of(), null);
        Map<Object, Object> top = (Map<Object, Object>) TorchCheckpoint.load(f);
        Map<Object, Object> args = (Map<Object, Object>) top.get("args");
        assertEquals("DiT-S/2", args.get("name"));
        assertEquals(1e-4, args.get("lr"));
        assertEquals(java.math.BigInteger.ONE.shiftLeft(70), args.get("big"));
        assertEquals(-2L, args.get("neg"));
        assertEquals(Boolean.TRUE, args.get("flag"));
        assertTrue(args.containsKey("none"));
        assertNull(args.get("none"));
        assertEquals(List.of(2L, 3L), args.get("sizes"));
        assertEquals(List.of(1L, -2L, 300000L), top.get("list"));
        assertTrue(top.get("again") == top, "shared references stay shared, cycles survive");
        FormatException e = assertThrows(FormatException.class, () -> TorchCheckpoint.loadStateDict(f, "ema"));
        assertTrue(e.getMessage().contains("'ema'") && e.getMessage().contains("args"), e.getMessage());
    }

    @Test
    void orderedDictAttributesAndParametersAsTorchWritesThem() throws IOException {
        // OrderedDict() + SETITEMS + BUILD({'_metadata': {...}}): the attributes are not state-dict entries.
        PickleBytes p = new PickleBytes().proto(2).global("collections", "OrderedDict").op(')').reduce().mark();
        p.str("w").tensor("FloatStorage", "0", N, 0, new long[] {2, 2}, new long[] {2, 1});
        p.str("p").global("torch._utils", "_rebuild_parameter").mark();
        p.tensor("FloatStorage", "0", N, 4, new long[] {3}, new long[] {1});
        p.op(0x88).global("collections", "OrderedDict").op(')').reduce().tuple().reduce();
        p.op('u');
        p.op('}').mark().str("_metadata").global("collections", "OrderedDict").op(')').reduce()
                .mark().str("").op('}').mark().str("version").i(1).op('u', 'u').op('u', 'b', '.');
        Path f = tmp.resolve("od.pt");
        PickleBytes.writePt(f, "archive", p.bytes(), Map.of("0", storage(ByteOrder.LITTLE_ENDIAN)), null);
        LinkedHashMap<String, Tensor> sd = TorchCheckpoint.loadStateDict(f, "ema");
        assertEquals(List.of("w", "p"), List.copyOf(sd.keySet()));
        assertArrayEquals(view2d(0, new long[] {2, 2}, new long[] {2, 1}), sd.get("w").toFloats());
        assertArrayEquals(view2d(4, new long[] {1, 3}, new long[] {0, 1}), sd.get("p").toFloats());
        assertArrayEquals(new long[] {3}, sd.get("p").shape());
    }

    // ---- hostile and corrupt input ----

    private Path ptWith(String name, byte[] pkl) throws IOException {
        Path f = tmp.resolve(name);
        PickleBytes.writePt(f, "archive", pkl, Map.of("0", storage(ByteOrder.LITTLE_ENDIAN)), null);
        return f;
    }

    private static FormatException refuses(Path f, String... mustContain) {
        FormatException e = assertThrows(FormatException.class, () -> TorchCheckpoint.load(f));
        String m = e.getMessage();
        assertTrue(m.contains(f.getFileName().toString()), "names the file: " + m);
        for (String s : mustContain) assertTrue(m.contains(s), "mentions '" + s + "': " + m);
        FormatException e2 = assertThrows(FormatException.class, () -> TorchCheckpoint.loadStateDict(f, "ema"));
        assertEquals(m, e2.getMessage());
        return e;
    }

    @Test
    void forbiddenGlobalsAreRefusedByName() throws IOException {
        refuses(ptWith("os.pt", new PickleBytes().proto(2).global("os", "system").str("touch /tmp/pwned").op(0x85).reduce().op('.').bytes()),
                "refused global 'os.system'", "archive/data.pkl");
        refuses(ptWith("eval.pt", new PickleBytes().proto(4).shortStr("builtins").shortStr("eval").op(0x93)
                .shortStr("1+1").op(0x85).reduce().op('.').bytes()), "refused global 'builtins.eval'");
        refuses(ptWith("posix.pt", new PickleBytes().proto(2).global("posix", "system").op('.').bytes()), "'posix.system'");
        // a forbidden global hidden inside an otherwise valid state dict
        PickleBytes p = new PickleBytes().proto(2).op('}').mark();
        p.str("w").tensor("FloatStorage", "0", N, 0, new long[] {2}, new long[] {1});
        p.str("x").global("subprocess", "Popen").str("ls").op(0x85).reduce();
        p.op('u', '.');
        refuses(ptWith("hidden.pt", p.bytes()), "'subprocess.Popen'");
        // torch functions beyond the rebuild helpers are refused too
        refuses(ptWith("torchload.pt", new PickleBytes().proto(2).global("torch", "load").op('.').bytes()), "'torch.load'");
        // an allowed name used the wrong way: storages may be named, not called
        refuses(ptWith("callstorage.pt", new PickleBytes().proto(2).global("torch", "FloatStorage").op(')').reduce().op('.').bytes()),
                "torch.FloatStorage", "not called");
    }

    @Test
    void truncatedAndCorruptPickles() throws IOException {
        byte[] good = new PickleBytes().proto(2).op('}').mark().str("w")
                .tensor("FloatStorage", "0", N, 0, new long[] {2}, new long[] {1}).op('u', '.').bytes();
        refuses(ptWith("cut.pt", Arrays.copyOf(good, good.length - 20)), "archive/data.pkl", "truncated");
        refuses(ptWith("nostop.pt", Arrays.copyOf(good, good.length - 1)), "archive/data.pkl", "truncated");
        byte[] badOp = good.clone();
        badOp[3] = (byte) 0xff;
        refuses(ptWith("badop.pt", badOp), "archive/data.pkl", "opcode");
        refuses(ptWith("memo.pt", new PickleBytes().proto(2).op('h', 7).op('.').bytes()), "memo");
        refuses(ptWith("persid.pt", new PickleBytes().proto(2).str("x").op('Q', '.').bytes()), "persistent id");
    }

    @Test
    void storageProblemsNameTheTensor() throws IOException {
        PickleBytes p = new PickleBytes().proto(2).op('}').mark();
        p.str("blocks.0.w").tensor("FloatStorage", "7", N, 0, new long[] {2}, new long[] {1});
        p.op('u', '.');
        refuses(ptWith("missing.pt", p.bytes()), "blocks.0.w", "archive/data/7");
        PickleBytes q = new PickleBytes().proto(2).op('}').mark();
        q.str("too_far").tensor("FloatStorage", "0", N, 20, new long[] {2, 3}, new long[] {3, 1});
        q.op('u', '.');
        refuses(ptWith("outside.pt", q.bytes()), "too_far", "storage of 24");
        PickleBytes r = new PickleBytes().proto(2).op('}').mark();
        r.str("claims_more").tensor("FloatStorage", "0", 1000, 0, new long[] {2}, new long[] {1});
        r.op('u', '.');
        refuses(ptWith("short.pt", r.bytes()), "claims_more", "truncated or corrupt");
    }

    @Test
    void truncatedAndNonZipFiles() throws IOException {
        byte[] all = Files.readAllBytes(Golden.path("dit/model.pt"));
        Path cut = tmp.resolve("cut_model.pt");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        refuses(cut, "truncated or corrupt");
        Path legacy = tmp.resolve("legacy.pt");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8});
        refuses(legacy, "legacy");
        Path text = tmp.resolve("text.pt");
        Files.writeString(text, "not a checkpoint");
        refuses(text, "not a PyTorch zip checkpoint");
    }

    @Test
    void flippedStorageByteFailsTheCrcAndNamesTheTensor() throws IOException {
        Path src = Golden.path("dit/model.pt");
        byte[] all = Files.readAllBytes(src);
        byte[] entry;
        String name;
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(src.toFile())) {
            java.util.zip.ZipEntry biggest = z.stream().filter(e -> e.getName().contains("/data/"))
                    .max(java.util.Comparator.comparingLong(java.util.zip.ZipEntry::getSize)).orElseThrow();
            name = biggest.getName();
            entry = z.getInputStream(biggest).readAllBytes();
        }
        int at = -1;
        outer:
        for (int i = 0; i + 256 <= all.length; i++) {
            for (int j = 0; j < 256; j++) if (all[i + j] != entry[j]) continue outer;
            at = i;
            break;
        }
        assertTrue(at > 0, "stored storage found in the archive");
        all[at + entry.length / 2] ^= 0x40;
        Path f = tmp.resolve("flipped.pt");
        Files.write(f, all);
        FormatException e = refuses(f, "CRC", name);
        assertTrue(e.getMessage().contains("key '"), e.getMessage());
    }
}
