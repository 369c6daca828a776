package org.dydit.prep.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.TestSpark;
import org.dydit.prep.dataset.LabeledTensor;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.encode.PixelEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fmnist and images jobs reading from and writing to HDFS (a MiniDFSCluster): the datasets must be
 * byte-identical to the same jobs on local disk, and readable with plain {@code sc.binaryRecords}.
 */
class HdfsJobsTest {
    @TempDir
    static Path tmp;
    static MiniDFSCluster cluster;
    static String hdfs;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        hdfs = "hdfs://localhost:" + cluster.getNameNodePort();
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) cluster.shutdown();
    }

    static byte[] hdfsBytes(String path) throws IOException {
        FileSystem fs = cluster.getFileSystem();
        try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        }
    }

    /** Same manifest (up to the paths it names) and the same part bytes on HDFS as on local disk. */
    static void assertSameDataset(Path local, String remote, Manifest a, Manifest b) throws IOException {
        assertEquals(a.numRecords, b.numRecords);
        assertEquals(a.parts, b.parts);
        assertArrayEquals(a.shape, b.shape);
        assertEquals(a.classes, b.classes);
        for (Manifest.Part p : a.parts) {
            assertArrayEquals(Files.readAllBytes(local.resolve(p.file())), hdfsBytes(remote + "/" + p.file()), p.file());
        }
    }

    /** The docs/formats.md recipe: Spark's own binaryRecords, no code of ours. */
    static void assertBinaryRecordsAgree(JavaSparkContext sc, String dir, Manifest m) throws IOException {
        List<byte[]> raw = sc.binaryRecords(dir + "/part-*.bin", m.recordBytes).collect();
        assertEquals(m.numRecords, raw.size());
        List<LabeledTensor> ours = LatentDataset.open(sc, dir).records(sc).collect();
        for (int i = 0; i < raw.size(); i += Math.max(1, raw.size() / 50)) {
            ByteBuffer b = ByteBuffer.wrap(raw.get(i)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(ours.get(i).label(), b.getInt(0), "record " + i);
            float[] t = ours.get(i).tensor();
            for (int k = 0; k < t.length; k += 97) assertEquals(t[k], b.getFloat(4 + 4 * k), "record " + i + " value " + k);
        }
    }

    @Test
    void fmnistOnHdfs() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        FashionMnistJob.Options local = new FashionMnistJob.Options();
        local.split = "test";
        local.limit = 700;
        local.partitions = 2;
        local.spec.out = tmp.resolve("fm").toString();
        local.spec.recordsPerPart = 256;
        Manifest a = FashionMnistJob.run(sc, local, System.err);

        FashionMnistJob.Options remote = new FashionMnistJob.Options();
        remote.split = "test";
        remote.limit = 700;
        remote.partitions = 3;
        remote.spec.out = hdfs + "/datasets/fm";
        remote.spec.recordsPerPart = 256;
        Manifest b = FashionMnistJob.run(sc, remote, System.err);
        assertEquals(700, b.numRecords);
        assertEquals(3, b.parts.size());
        assertSameDataset(Path.of(local.spec.out), remote.spec.out, a, b);
        assertBinaryRecordsAgree(sc, remote.spec.out, b);
        assertFalse(cluster.getFileSystem().exists(new org.apache.hadoop.fs.Path("/datasets/fm/_chunks")));
    }

    @Test
    void imagesFromHdfsToHdfs() throws IOException {
        // The same small tree on local disk and on HDFS.
        FileSystem fs = cluster.getFileSystem();
        Path tree = tmp.resolve("tree");
        String[] fixtures = {"cmyk.jpg", "palette.png", "gray.png", "rgba.png", "gray.jpg"};
        for (int i = 0; i < fixtures.length; i++) {
            Path c = Files.createDirectories(tree.resolve("c" + (i % 2)));
            byte[] data;
            try (InputStream in = HdfsJobsTest.class.getResourceAsStream("/convert/" + fixtures[i])) {
                data = in.readAllBytes();
            }
            Files.write(c.resolve(fixtures[i]), data);
            try (var out = fs.create(new org.apache.hadoop.fs.Path("/in/c" + (i % 2) + "/" + fixtures[i]))) {
                out.write(data);
            }
        }
        JavaSparkContext sc = TestSpark.sc();
        ImageFolderJob.Options local = new ImageFolderJob.Options();
        local.in = tree.toString();
        local.size = 16;
        local.flip = "both";
        local.encoder = new PixelEncoder();
        local.spec.out = tmp.resolve("img").toString();
        local.spec.recordsPerPart = 4;
        Manifest a = ImageFolderJob.run(sc, local, System.err);

        ImageFolderJob.Options remote = new ImageFolderJob.Options();
        remote.in = hdfs + "/in";
        remote.size = 16;
        remote.flip = "both";
        remote.encoder = new PixelEncoder();
        remote.partitions = 3;
        remote.spec.out = hdfs + "/datasets/img";
        remote.spec.recordsPerPart = 4;
        Manifest b = ImageFolderJob.run(sc, remote, System.err);
        assertEquals(10, b.numRecords);
        assertEquals(5, b.converted.count(), "all five fixtures are in modes other than RGB");
        assertTrue(b.converted.first().get(0).path().startsWith("hdfs://"), b.converted.first().get(0).path());
        assertSameDataset(Path.of(local.spec.out), remote.spec.out, a, b);
        assertBinaryRecordsAgree(sc, remote.spec.out, b);
        // Only the dataset is left on HDFS: no temporary folder beside it.
        assertEquals(1, fs.listStatus(new org.apache.hadoop.fs.Path("/datasets")).length
                - (fs.exists(new org.apache.hadoop.fs.Path("/datasets/fm")) ? 1 : 0));
    }
}
