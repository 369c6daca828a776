package org.dydit.formats;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Corrupt .npy and .npz input: one FormatException naming the file and the array. */
class NpzBadInputTest {
    @TempDir
    Path tmp;

    private static void mentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "mentions '" + p + "': " + e.getMessage());
    }

    @Test
    void truncatedArchive() throws IOException {
        byte[] all = Files.readAllBytes(Golden.path("fid/ref_stats.npz"));
        Path f = tmp.resolve("cut.npz");
        Files.write(f, Arrays.copyOf(all, all.length / 2));
        FormatException e = assertThrows(FormatException.class, () -> Npz.read(f));
        mentions(e, "cut.npz", "truncated");
    }

    @Test
    void flippedByteInStoredEntryFailsItsCrc() throws IOException {
        byte[] all = Files.readAllBytes(Golden.path("fid/ref_stats.npz"));
        // The sigma entry is stored: its bytes appear verbatim; damage one near the end of its data.
        byte[] sigma;
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(Golden.path("fid/ref_stats.npz").toFile())) {
            sigma = z.getInputStream(z.getEntry("sigma.npy")).readAllBytes();
        }
        int at = indexOf(all, Arrays.copyOfRange(sigma, 0, 64));
        assertTrue(at > 0, "stored entry found in the archive");
        all[at + sigma.length - 3] ^= 0x55;
        Path f = tmp.resolve("flip.npz");
        Files.write(f, all);
        FormatException e = assertThrows(FormatException.class, () -> Npz.read(f));
        mentions(e, "flip.npz", "'sigma'", "CRC");
    }

    @Test
    void corruptDeflatedEntry() throws IOException {
        byte[] all = Files.readAllBytes(Golden.path("fid/ref_stats_compressed.npz"));
        // Damage the middle of the first entry's compressed stream.
        for (int i = 200; i < 260; i++) all[i] ^= (byte) 0xa5;
        Path f = tmp.resolve("deflate.npz");
        Files.write(f, all);
        FormatException e = assertThrows(FormatException.class, () -> Npz.read(f));
        mentions(e, "deflate.npz", "'mu'");
    }

    @Test
    void entryThatIsNotAnArray() throws IOException {
        Path f = tmp.resolve("junk.npz");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry("x.npy"));
            z.write("hello, this is not numpy".getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
        FormatException e = assertThrows(FormatException.class, () -> Npz.read(f));
        mentions(e, "junk.npz", "'x'", "magic");
    }

    @Test
    void entryWhoseDataIsShort() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4}));
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        Npy.write(bo, m.get("w"));
        byte[] npy = Arrays.copyOf(bo.toByteArray(), bo.size() - 5);
        Path f = tmp.resolve("short.npz");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry("w.npy"));
            z.write(npy);
            z.closeEntry();
        }
        FormatException e = assertThrows(FormatException.class, () -> Npz.read(f));
        mentions(e, "short.npz", "'w'", "truncated", "16");
    }

    @Test
    void missingKey() throws IOException {
        FormatException e = assertThrows(FormatException.class, () -> Npz.read(Golden.path("fid/ref_stats.npz"), "mu_s"));
        mentions(e, "ref_stats.npz", "'mu_s'", "mu", "sigma");
    }

    @Test
    void npyTruncatedCorruptAndUnsupported() throws IOException {
        byte[] good = Files.readAllBytes(NpyTest.resource("f4_c_v1.npy"));
        Path cut = tmp.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(good, good.length - 1));
        mentions(assertThrows(FormatException.class, () -> Npy.read(cut)), "cut.npy", "truncated");
        Path hdr = tmp.resolve("hdr.npy");
        Files.write(hdr, Arrays.copyOf(good, 40));
        mentions(assertThrows(FormatException.class, () -> Npy.read(hdr)), "hdr.npy", "header");
        Path magic = tmp.resolve("magic.npy");
        Files.write(magic, "PK\u0003\u0004 not numpy".getBytes(StandardCharsets.ISO_8859_1));
        mentions(assertThrows(FormatException.class, () -> Npy.read(magic)), "magic.npy", "magic");
        for (String descr : new String[] {"<c8", "|O", "<U5", "<f16"}) {
            byte[] h = header("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }");
            FormatException e = assertThrows(FormatException.class, () -> Npy.read(new ByteArrayInputStream(h), "mem.npy"));
            mentions(e, "mem.npy", "descr", descr);
        }
        byte[] structured = header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }");
        mentions(assertThrows(FormatException.class, () -> Npy.read(new ByteArrayInputStream(structured), "rec.npy")), "rec.npy", "structured");
        byte[] garbage = header("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }");
        mentions(assertThrows(FormatException.class, () -> Npy.read(new ByteArrayInputStream(garbage), "g.npy")), "g.npy", "malformed");
    }

    private static byte[] header(String dict) {
        byte[] d = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] b = new byte[10 + d.length + 64];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) d.length, 0}, 0, b, 0, 10);
        System.arraycopy(d, 0, b, 10, d.length);
        return b;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
