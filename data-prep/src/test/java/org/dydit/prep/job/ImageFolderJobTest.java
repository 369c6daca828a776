package org.dydit.prep.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.TestSpark;
import org.dydit.prep.dataset.Issues;
import org.dydit.prep.dataset.LabeledTensor;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.encode.PixelEncoder;
import org.dydit.prep.image.AdmCenterCrop;
import org.dydit.prep.image.RgbImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The images job on a small ImageFolder tree of real photographs (Debian's mate-backgrounds), PIL-made
 * images in other modes, and broken inputs.
 */
class ImageFolderJobTest {
    static final Path MATE = Path.of("/usr/share/backgrounds/mate");
    static final int SIZE = 24;

    @TempDir
    static Path tmp;
    static Path tree;
    /** A small tree without photographs, for the tests about failure handling. */
    static Path small;
    /** Eight small PIL-made images in three classes, quick to decode. */
    static Path medium;

    /** Builds {@code tree}: three usable classes, one empty class, one class of broken files. */
    @BeforeAll
    static void buildTree() throws IOException {
        assertTrue(Files.isDirectory(MATE), MATE + " missing: install Debian's mate-backgrounds package");
        tree = tmp.resolve("tree");
        Path flowers = Files.createDirectories(tree.resolve("flowers"));
        Files.copy(MATE.resolve("nature/FreshFlower.jpg"), flowers.resolve("fresh.jpg"));
        Files.copy(MATE.resolve("nature/GreenMeadow.jpg"), flowers.resolve("sub/meadow.JPG".replace("sub/", "")));
        Path abs = Files.createDirectories(tree.resolve("abstract/nested"));
        Files.copy(MATE.resolve("abstract/Spring.png"), abs.resolve("spring.png"));    // RGBA photo
        Path modes = Files.createDirectories(tree.resolve("modes"));
        for (String f : List.of("cmyk.jpg", "palette.png", "gray.png", "gray_alpha.png")) {
            Files.write(modes.resolve(f), resource(f));
        }
        Files.createDirectories(tree.resolve("empty"));
        Path broken = Files.createDirectories(tree.resolve("zbroken"));
        byte[] jpg = Files.readAllBytes(MATE.resolve("nature/Dune.jpg"));
        Files.write(broken.resolve("truncated.jpg"), Arrays.copyOf(jpg, 1500));
        Files.write(broken.resolve("garbage.png"), "not a png at all".getBytes());
        Files.write(broken.resolve("notes.txt"), "hello".getBytes());
        Files.write(broken.resolve(".DS_Store"), "hidden".getBytes());
        Files.write(tree.resolve("stray.jpg"), jpg);

        medium = tmp.resolve("medium");
        String[] fixtures = {"cmyk.jpg", "palette.png", "gray.png", "gray_alpha.png", "rgba.png", "palette.gif",
                "bilevel.png", "gray.jpg"};
        for (int i = 0; i < fixtures.length; i++) {
            Path c = Files.createDirectories(medium.resolve("class" + (i % 3)));
            Files.write(c.resolve(fixtures[i]), resource(fixtures[i]));
        }

        small = tmp.resolve("small");
        Files.createDirectories(small.resolve("a"));
        Files.createDirectories(small.resolve("b"));
        Files.write(small.resolve("a/gray.png"), resource("gray.png"));
        Files.write(small.resolve("b/palette.png"), resource("palette.png"));
        Files.write(small.resolve("b/truncated.jpg"), Arrays.copyOf(jpg, 1500));
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ImageFolderJobTest.class.getResourceAsStream("/convert/" + name)) {
            return in.readAllBytes();
        }
    }

    static ImageFolderJob.Options options(String out, String flip, int partitions, long perPart) {
        return options(tree, out, flip, partitions, perPart);
    }

    static ImageFolderJob.Options options(Path in, String out, String flip, int partitions, long perPart) {
        ImageFolderJob.Options o = new ImageFolderJob.Options();
        o.in = in.toString();
        o.size = SIZE;
        o.flip = flip;
        o.encoder = new PixelEncoder();
        o.partitions = partitions;
        o.spec.out = out;
        o.spec.recordsPerPart = perPart;
        return o;
    }

    static byte[] allPartBytes(Path dir, Manifest m) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (Manifest.Part p : m.parts) all.write(Files.readAllBytes(dir.resolve(p.file())));
        return all.toByteArray();
    }

    @Test
    void encodesInOrderWithMirrorsAndListsConvertedAndRejected() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        Path out = tmp.resolve("ds-flip");
        Manifest m = ImageFolderJob.run(sc, options(out.toString(), "both", 3, 4), System.err);

        assertEquals(List.of("abstract", "empty", "flowers", "modes", "zbroken"), m.classes);
        assertArrayEquals(new int[] {3, SIZE, SIZE}, m.shape);

        // Expected records, computed image by image with the same library calls, in (label, path) order.
        List<Path> usable = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < m.classes.size(); c++) {
            try (Stream<Path> s = Files.walk(tree.resolve(m.classes.get(c)))) {
                for (Path p : s.filter(Files::isRegularFile).map(Path::toString).sorted().map(Path::of).toList()) {
                    if (c != 4) {
                        usable.add(p);
                        labels.add(c);
                    }
                }
            }
        }
        assertEquals(7, usable.size());
        assertEquals(2L * usable.size(), m.numRecords);
        List<LabeledTensor> recs = LatentDataset.open(sc, out.toString()).records(sc).collect();
        assertEquals(2 * usable.size(), recs.size());
        PixelEncoder enc = new PixelEncoder();
        for (int i = 0; i < usable.size(); i++) {
            RgbImages.Rgb rgb = RgbImages.decode(Files.readAllBytes(usable.get(i)));
            byte[] crop = AdmCenterCrop.crop(rgb.pixels(), rgb.width(), rgb.height(), SIZE);
            float[] orig = enc.open().encode(crop, SIZE, 0);
            float[] mirror = enc.open().encode(AdmCenterCrop.mirror(crop, SIZE, SIZE, 3), SIZE, 0);
            assertEquals(labels.get(i), recs.get(2 * i).label(), usable.get(i) + " label");
            assertEquals(labels.get(i), recs.get(2 * i + 1).label());
            assertArrayEquals(orig, recs.get(2 * i).tensor(), usable.get(i) + " original right before its mirror");
            assertArrayEquals(mirror, recs.get(2 * i + 1).tensor(), usable.get(i) + " mirror");
            if (usable.get(i).toString().contains("flowers")) {
                assertFalse(Arrays.equals(orig, mirror), usable.get(i) + ": a photograph is not symmetric");
            }
        }

        // Converted: the RGBA photograph and the four PIL-made images, in input order.
        List<String> conv = m.converted.first().stream().map(e -> Path.of(e.path()).getFileName().toString()).toList();
        assertEquals(List.of("spring.png", "cmyk.jpg", "gray.png", "gray_alpha.png", "palette.png"), conv);
        assertEquals(5, m.converted.count());
        assertTrue(m.converted.first().get(1).reason().contains("CMYK"), m.converted.first().get(1).reason());

        // Rejected: the stray top-level file first, then the empty class, then the broken class's files.
        List<Issues.Entry> rej = m.rejected.first();
        List<String> names = rej.stream().map(e -> Path.of(e.path()).getFileName().toString()).toList();
        assertEquals(List.of("stray.jpg", "empty", "garbage.png", "notes.txt", "truncated.jpg"), names);
        assertTrue(rej.get(0).reason().contains("outside any class folder"), rej.get(0).reason());
        assertTrue(rej.get(1).reason().contains("empty class folder"), rej.get(1).reason());
        assertTrue(rej.get(2).reason().contains("corrupt or truncated") || rej.get(2).reason().contains("not a supported"),
                rej.get(2).reason());
        assertTrue(rej.get(3).reason().contains("not an image file name"), rej.get(3).reason());
        assertTrue(rej.get(4).reason().contains("corrupt or truncated"), rej.get(4).reason());

        // manifest.json on disk says the same, and no temporary folder is left.
        Manifest onDisk = LatentDataset.open(sc, out.toString()).manifest();
        assertEquals(m.toJson(), onDisk.toJson());
        try (Stream<Path> s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".incomplete-")));
        }
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(m.parts.size() + 1, s.count(), "only manifest.json and the parts");
        }
    }

    @Test
    void bytesDoNotDependOnThePartitionCount() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        Path one = tmp.resolve("p1");
        Path many = tmp.resolve("p5");
        Manifest a = ImageFolderJob.run(sc, options(medium, one.toString(), "both", 1, 3), System.err);
        Manifest b = ImageFolderJob.run(sc, options(medium, many.toString(), "both", 5, 3), System.err);
        assertEquals(a.toJson(), b.toJson());
        assertEquals(6, a.parts.size(), "16 records, 3 per part");
        for (Manifest.Part p : a.parts) {
            assertArrayEquals(Files.readAllBytes(one.resolve(p.file())), Files.readAllBytes(many.resolve(p.file())), p.file());
        }
    }

    @Test
    void strictFailsAndLeavesNothingBehind() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        Path out = tmp.resolve("strict");
        ImageFolderJob.Options o = options(small, out.toString(), "none", 2, 0);
        o.spec.strict = true;
        IOException e = assertThrows(IOException.class, () -> ImageFolderJob.run(sc, o, System.err));
        assertTrue(e.getMessage().contains("--strict") && e.getMessage().contains("truncated.jpg"), e.getMessage());
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".strict.incomplete-")));
        }
    }

    @Test
    void existingOutputIsNeverReplacedWithoutOverwrite() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        Path out = Files.createDirectories(tmp.resolve("existing"));
        Files.writeString(out.resolve("keep.txt"), "precious");
        IOException e = assertThrows(IOException.class,
                () -> ImageFolderJob.run(sc, options(small, out.toString(), "none", 2, 0), System.err));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("precious", Files.readString(out.resolve("keep.txt")));

        // --overwrite replaces a dataset, never a folder holding other files.
        ImageFolderJob.Options o = options(small, out.toString(), "none", 2, 0);
        o.spec.overwrite = true;
        IOException foreign = assertThrows(IOException.class, () -> ImageFolderJob.run(sc, o, System.err));
        assertTrue(foreign.getMessage().contains("keep.txt") && foreign.getMessage().contains(out.getFileName().toString()),
                foreign.getMessage());
        assertEquals("precious", Files.readString(out.resolve("keep.txt")));

        Files.delete(out.resolve("keep.txt"));
        Manifest first = ImageFolderJob.run(sc, o, System.err);      // an empty folder is replaced
        assertEquals(2, first.numRecords);
        Manifest m = ImageFolderJob.run(sc, o, System.err);          // and so is a dataset
        assertEquals(2, m.numRecords);
        assertEquals(1, m.rejected.count());
        try (Stream<Path> s = Files.list(out)) {
            assertEquals(m.parts.size() + 1, s.count(), "only manifest.json and the parts");
        }
    }
}
