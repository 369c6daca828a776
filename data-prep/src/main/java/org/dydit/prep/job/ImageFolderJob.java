package org.dydit.prep.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.dataset.DatasetWriter;
import org.dydit.prep.dataset.HadoopConf;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordProducer;
import org.dydit.prep.dataset.RecordSink;
import org.dydit.prep.dataset.Storage;
import org.dydit.prep.encode.ImageEncoder;
import org.dydit.prep.image.AdmCenterCrop;
import org.dydit.prep.image.RgbImages;

/**
 * An ImageFolder tree to a dataset: each image converted to RGB, ADM centre-cropped to size×size,
 * optionally followed by its mirror image, and encoded. Files are spread over Spark tasks in order.
 */
public final class ImageFolderJob {
    private ImageFolderJob() {}

    /** Files larger than this are rejected rather than read into memory. */
    static final long MAX_FILE_BYTES = 512L << 20;
    /** Files per Spark task by default: small enough for a lively progress line. */
    static final int FILES_PER_TASK = 128;

    public static final class Options {
        public String in;
        public int size = 256;
        public ImageEncoder encoder;
        /** "none" or "both". */
        public String flip = "none";
        public int partitions;
        public DatasetSpec spec = new DatasetSpec();
    }

    public static Manifest run(JavaSparkContext sc, Options o, PrintStream log) throws IOException {
        if (!o.flip.equals("none") && !o.flip.equals("both")) {
            throw new IllegalArgumentException("--flip must be none or both, got '" + o.flip + "'");
        }
        if (o.size <= 0) throw new IllegalArgumentException("--size must be positive, got " + o.size);
        Configuration conf = sc.hadoopConfiguration();
        ImageFolder.Scan scan = ImageFolder.scan(o.in, conf);
        List<ImageFolder.Entry> entries = scan.entries();
        log.println("prep images: " + entries.size() + " entries in " + scan.classes().size() + " class folders under " + o.in);
        DatasetSpec spec = o.spec;
        spec.shape = o.encoder.shape(o.size);
        spec.classes = scan.classes();
        spec.encoder = o.encoder.describe();
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("size", o.size);
        pre.put("crop", "adm-center");
        pre.put("flip", o.flip);
        pre.put("rgb", "PIL convert(\"RGB\"): alpha dropped, grey replicated, palette looked up, CMYK (255-c)(255-k)/255");
        spec.preprocess = pre;
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("dataset", "image-folder");
        Path root = new Path(o.in);
        src.put("root", Storage.fs(root, conf).makeQualified(root).toString());
        src.put("files", entries.size());
        src.put("order", "sorted by (label, path)" + (o.flip.equals("both") ? "; each image right before its mirror" : ""));
        spec.source = src;
        spec.jobName = "prep images";
        spec.unit = "files";
        int tasks = o.partitions > 0 ? o.partitions
                : Math.max(sc.defaultParallelism(), (entries.size() + FILES_PER_TASK - 1) / FILES_PER_TASK);
        Producer p = new Producer(o.size, o.flip.equals("both"), o.encoder, new HadoopConf(conf));
        return DatasetWriter.write(sc, spec, p, entries, tasks, log);
    }

    private record Producer(int size, boolean flip, ImageEncoder encoder, HadoopConf conf)
            implements RecordProducer<ImageFolder.Entry> {
        @Override
        public void produce(long first, List<ImageFolder.Entry> entries, RecordSink sink) throws IOException {
            try (ImageEncoder.Session enc = encoder.open()) {
                for (int j = 0; j < entries.size(); j++) {
                    ImageFolder.Entry e = entries.get(j);
                    long i = first + j;
                    switch (e.kind()) {
                        case EMPTY_CLASS -> sink.rejected(e.path(), "empty class folder (label " + e.label() + " has no files)");
                        case OUTSIDE_CLASS -> sink.rejected(e.path(), "file outside any class folder");
                        case NOT_AN_IMAGE -> sink.rejected(e.path(), "not an image file name (expected one of "
                                + String.join(", ", new java.util.TreeSet<>(ImageFolder.IMAGE_EXTENSIONS)) + ")");
                        case IMAGE -> encodeOne(e, i, enc, sink);
                    }
                    sink.itemDone();
                }
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException("encoder failed: " + e.getMessage(), e);
            }
        }

        private void encodeOne(ImageFolder.Entry e, long index, ImageEncoder.Session enc, RecordSink sink) throws IOException {
            byte[] bytes;
            try {
                bytes = Storage.readAll(new Path(e.path()), conf.get(), MAX_FILE_BYTES);
            } catch (FileNotFoundException ex) {
                sink.rejected(e.path(), "unreadable: file disappeared (" + ex.getMessage() + ")");
                return;
            } catch (IOException ex) {
                sink.rejected(e.path(), "unreadable: " + ex.getMessage());
                return;
            }
            RgbImages.Rgb rgb;
            try {
                rgb = RgbImages.decode(bytes);
            } catch (RgbImages.UnreadableImageException ex) {
                sink.rejected(e.path(), ex.getMessage());
                return;
            }
            if (rgb.conversion() != null) sink.converted(e.path(), rgb.conversion());
            byte[] crop = AdmCenterCrop.crop(rgb.pixels(), rgb.width(), rgb.height(), size);
            long seed = 2L * index;
            sink.record(e.label(), enc.encode(crop, size, seed));
            if (flip) {
                sink.record(e.label(), enc.encode(AdmCenterCrop.mirror(crop, size, size, 3), size, seed + 1));
            }
        }
    }
}
