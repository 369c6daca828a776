package org.dydit.prep.job;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.dataset.DatasetWriter;
import org.dydit.prep.dataset.HadoopConf;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordProducer;
import org.dydit.prep.dataset.RecordSink;
import org.dydit.prep.dataset.Storage;
import org.dydit.prep.encode.PixelEncoder;

/**
 * Fashion-MNIST to pixel records of 1×32×32 in [-1, 1]: each 28×28 image centred with two pixels of -1
 * on every side, in the idx files' order.
 */
public final class FashionMnistJob {
    private FashionMnistJob() {}

    /** Where Debian's {@code dataset-fashion-mnist} package puts the idx files. */
    public static final String DEFAULT_SOURCE = "/usr/share/datasets/fashion-mnist";
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    static final int SIDE = 28;
    static final int PAD = 2;
    public static final int OUT_SIDE = SIDE + 2 * PAD;

    public static final class Options {
        public String source = DEFAULT_SOURCE;
        /** "train" or "test". */
        public String split = "train";
        /** Only the first N images (0 = all), for quick runs. */
        public int limit;
        public int partitions;
        public DatasetSpec spec = new DatasetSpec();
    }

    public static Manifest run(JavaSparkContext sc, Options o, PrintStream log) throws IOException {
        if (!o.split.equals("train") && !o.split.equals("test")) {
            throw new IllegalArgumentException("--split must be train or test, got '" + o.split + "'");
        }
        Configuration conf = sc.hadoopConfiguration();
        String prefix = o.split.equals("train") ? "train" : "t10k";
        Path images = find(new Path(o.source), prefix + "-images-idx3-ubyte", conf);
        Path labels = find(new Path(o.source), prefix + "-labels-idx1-ubyte", conf);
        IdxFile img = IdxFile.open(images, conf, 3);
        IdxFile lab = IdxFile.open(labels, conf, 1);
        if (img.dims[1] != SIDE || img.dims[2] != SIDE) {
            throw new IOException(images + ": images are " + img.dims[1] + "x" + img.dims[2] + ", expected 28x28");
        }
        if (img.count() != lab.count()) {
            throw new IOException(images + " holds " + img.count() + " images but " + labels + " holds "
                    + lab.count() + " labels");
        }
        int n = o.limit > 0 ? Math.min(o.limit, img.count()) : img.count();
        DatasetSpec spec = o.spec;
        spec.shape = new int[] {1, OUT_SIDE, OUT_SIDE};
        spec.classes = CLASSES;
        spec.encoder = new PixelEncoder().describe();
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("size", OUT_SIDE);
        pre.put("crop", "none: 28x28 centred with 2 pixels of -1 on every side");
        pre.put("flip", "none");
        spec.preprocess = pre;
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("dataset", "fashion-mnist");
        src.put("split", o.split);
        src.put("images", images.toString());
        src.put("labels", labels.toString());
        src.put("order", "idx file order");
        if (n < img.count()) src.put("limit", n);
        spec.source = src;
        spec.jobName = "prep fmnist " + o.split;
        spec.unit = "images";
        int tasks = o.partitions > 0 ? o.partitions : Math.max(2, sc.defaultParallelism());
        List<Integer> indices = java.util.stream.IntStream.range(0, n).boxed().toList();
        return DatasetWriter.write(sc, spec, new Producer(img.path.toString(), lab.path.toString(),
                new HadoopConf(conf)), indices, tasks, log);
    }

    /** {@code name.gz} or {@code name} under {@code dir}. */
    private static Path find(Path dir, String name, Configuration conf) throws IOException {
        FileSystem fs = Storage.fs(dir, conf);
        for (String n : new String[] {name + ".gz", name}) {
            Path p = new Path(dir, n);
            if (fs.exists(p)) return fs.makeQualified(p);
        }
        throw new IOException("Fashion-MNIST file " + name + "(.gz) not found in " + dir
                + " (install Debian's dataset-fashion-mnist package or pass --source DIR)");
    }

    /** Items are image numbers; a slice is a contiguous run of them, read in one pass over the idx files. */
    private record Producer(String images, String labels, HadoopConf conf) implements RecordProducer<Integer> {
        @Override
        public void produce(long first, List<Integer> items, RecordSink sink) throws IOException {
            if (items.isEmpty()) return;
            int from = items.get(0);
            int to = items.get(items.size() - 1) + 1;
            if (to - from != items.size()) throw new IllegalArgumentException("image numbers must be contiguous");
            Configuration c = conf.get();
            IdxFile img = IdxFile.open(new Path(images), c, 3);
            IdxFile lab = IdxFile.open(new Path(labels), c, 1);
            byte[] pixels = img.read(c, from, to);
            byte[] ys = lab.read(c, from, to);
            float[] t = new float[OUT_SIDE * OUT_SIDE];
            for (int i = 0; i < to - from; i++) {
                int y = ys[i] & 0xFF;
                if (y >= CLASSES.size()) {
                    throw new IOException(labels + ": record " + (from + i) + " has label " + y + ", expected 0..9");
                }
                java.util.Arrays.fill(t, -1f);
                for (int r = 0; r < SIDE; r++) {
                    for (int col = 0; col < SIDE; col++) {
                        t[(r + PAD) * OUT_SIDE + col + PAD] = PixelEncoder.toUnit(pixels[i * SIDE * SIDE + r * SIDE + col] & 0xFF);
                    }
                }
                sink.record(y, t);
                sink.itemDone();
            }
        }
    }
}
