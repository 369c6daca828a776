package org.dydit.prep.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.formats.Half;
import org.dydit.prep.TestSpark;
import org.dydit.prep.dataset.LabeledTensor;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordDType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Fashion-MNIST from Debian's dataset-fashion-mnist package. */
class FashionMnistJobTest {
    static final Path SOURCE = Path.of(FashionMnistJob.DEFAULT_SOURCE);

    @TempDir
    Path tmp;

    /** Our own idx reading (plain GZIP + DataInputStream), to check the job against the raw bytes. */
    static byte[] idx(String name, int header) throws IOException {
        Path p = SOURCE.resolve(name + ".gz");
        assertTrue(Files.exists(p), p + " missing: install Debian's dataset-fashion-mnist package");
        try (InputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(p)))) {
            in.skipNBytes(header);
            return in.readAllBytes();
        }
    }

    static Manifest run(JavaSparkContext sc, String split, RecordDType dtype, String out) throws IOException {
        FashionMnistJob.Options o = new FashionMnistJob.Options();
        o.split = split;
        o.spec.out = out;
        o.spec.dtype = dtype;
        return FashionMnistJob.run(sc, o, System.err);
    }

    @Test
    void realSplitsHistogramAndPadding() throws IOException {
        JavaSparkContext sc = TestSpark.sc();
        for (String split : List.of("test", "train")) {
            // float16 for train keeps the suite's disk traffic small; test stays float32.
            RecordDType dtype = split.equals("train") ? RecordDType.FLOAT16 : RecordDType.FLOAT32;
            String prefix = split.equals("train") ? "train" : "t10k";
            byte[] labels = idx(prefix + "-labels-idx1-ubyte", 8);
            byte[] images = idx(prefix + "-images-idx3-ubyte", 16);
            int n = labels.length;
            assertEquals(split.equals("train") ? 60_000 : 10_000, n, "idx label count");
            assertEquals(n * 784, images.length);

            Path out = tmp.resolve("fmnist-" + split);
            Manifest m = run(sc, split, dtype, out.toString());
            assertEquals(n, m.numRecords);
            assertArrayEquals(new int[] {1, 32, 32}, m.shape);
            assertEquals(FashionMnistJob.CLASSES, m.classes);

            LatentDataset ds = LatentDataset.open(sc, out.toString());
            // One pass: key = label, or -1 - label when a record's two-pixel border is not all -1.
            Map<Integer, Long> hist = ds.records(sc).map(r -> {
                float[] t = r.tensor();
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        boolean border = y < 2 || y >= 30 || x < 2 || x >= 30;
                        if (border && t[y * 32 + x] != -1f) return -1 - r.label();
                    }
                }
                return r.label();
            }).countByValue();
            long perClass = n / 10;
            for (int c = 0; c < 10; c++) assertEquals(perClass, hist.get(c), split + " class " + c);
            assertEquals(10, hist.size(), split + ": labels outside 0..9 or records with padding other than -1: " + hist);

            // Records in idx order, values x/127.5 - 1, checked on the first 500 against the raw idx bytes.
            List<LabeledTensor> head = ds.records(sc).take(500);
            for (int i = 0; i < head.size(); i++) {
                assertEquals(labels[i] & 0xFF, head.get(i).label(), split + " record " + i + " label");
                float[] t = head.get(i).tensor();
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        float want = (float) ((images[i * 784 + y * 28 + x] & 0xFF) / 127.5 - 1.0);
                        if (dtype == RecordDType.FLOAT16) want = Half.f16ToFloat(Half.floatToF16(want));
                        assertEquals(want, t[(y + 2) * 32 + x + 2], split + " record " + i + " pixel " + y + "," + x);
                    }
                }
            }
        }
    }
}
