package org.dydit.prep.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.dydit.formats.DType;
import org.dydit.formats.Npy;
import org.dydit.formats.Tensor;
import org.dydit.prep.dataset.DatasetSpec;
import org.dydit.prep.dataset.DatasetWriter;
import org.dydit.prep.dataset.HadoopConf;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordProducer;
import org.dydit.prep.dataset.RecordSink;
import org.dydit.prep.dataset.Storage;

/**
 * Imports fast-DiT's pre-extracted latents: {@code features/{i}.npy} of shape (1, C, H, W) float32 and
 * {@code labels/{i}.npy} of shape (1,) int64, paired and ordered by the number i.
 */
public final class NpyImportJob {
    private NpyImportJob() {}

    private static final Pattern NAME = Pattern.compile("(0|[1-9][0-9]*)\\.npy");
    static final int FILES_PER_TASK = 1024;

    public static final class Options {
        public String features;
        public String labels;
        public int numClasses = 1000;
        /** Optional file with one class name per line (label order). */
        public String classesFile;
        /** Which fast-DiT VAE made the latents: "ema" or "mse" (only recorded in the manifest). */
        public String vae = "ema";
        public int partitions;
        public DatasetSpec spec = new DatasetSpec();
    }

    /** One index i with whichever of its two files exist (null when missing), or a stray file. */
    record Item(long index, String feature, String label, String stray) implements java.io.Serializable {}

    public static Manifest run(JavaSparkContext sc, Options o, PrintStream log) throws IOException {
        Configuration conf = sc.hadoopConfiguration();
        if (o.numClasses <= 0) throw new IllegalArgumentException("--num-classes must be positive, got " + o.numClasses);
        TreeMap<Long, String> feats = new TreeMap<>();
        TreeMap<Long, String> labs = new TreeMap<>();
        List<Item> items = new ArrayList<>();
        list(o.features, conf, feats, items);
        list(o.labels, conf, labs, items);
        if (feats.isEmpty()) throw new IOException("no {i}.npy feature files in " + o.features);
        TreeMap<Long, Item> byIndex = new TreeMap<>();
        for (Map.Entry<Long, String> e : feats.entrySet()) byIndex.put(e.getKey(), new Item(e.getKey(), e.getValue(), null, null));
        for (Map.Entry<Long, String> e : labs.entrySet()) {
            Item f = byIndex.get(e.getKey());
            byIndex.put(e.getKey(), new Item(e.getKey(), f == null ? null : f.feature(), e.getValue(), null));
        }
        items.addAll(byIndex.values());

        Path first = new Path(feats.firstEntry().getValue());
        Tensor t0;
        try (InputStream in = Storage.fs(first, conf).open(first)) {
            t0 = Npy.read(in, first.toString());
        }
        int[] shape = latentShape(t0.shape());
        if (shape == null) {
            throw new IOException(first + ": shape " + Arrays.toString(t0.shape()) + ", expected (1, C, H, W) or (C, H, W)");
        }
        List<String> classes = classes(o, conf);
        DatasetSpec spec = o.spec;
        spec.shape = shape;
        spec.classes = classes;
        Map<String, Object> enc = new LinkedHashMap<>();
        enc.put("type", "vae");
        enc.put("model", "stabilityai/sd-vae-ft-" + o.vae);
        enc.put("scale_factor", 0.18215);
        enc.put("sample", "latent_dist.sample(), drawn once at extraction");
        spec.encoder = enc;
        Map<String, Object> pre = new LinkedHashMap<>();
        pre.put("size", shape[1] * 8);
        pre.put("crop", "adm-center");
        pre.put("flip", "random, once at extraction (fast-DiT)");
        spec.preprocess = pre;
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("dataset", "fast-dit-features");
        src.put("features", o.features);
        src.put("labels", o.labels);
        src.put("order", "by index i of {i}.npy");
        spec.source = src;
        spec.jobName = "prep import-npy";
        spec.unit = "files";
        int tasks = o.partitions > 0 ? o.partitions
                : Math.max(sc.defaultParallelism(), (items.size() + FILES_PER_TASK - 1) / FILES_PER_TASK);
        return DatasetWriter.write(sc, spec, new Producer(shape, o.numClasses, new HadoopConf(conf)), items, tasks, log);
    }

    private static void list(String dir, Configuration conf, Map<Long, String> out, List<Item> strays) throws IOException {
        Path d = new Path(dir);
        FileSystem fs = Storage.fs(d, conf);
        if (!fs.exists(d) || !fs.getFileStatus(d).isDirectory()) throw new IOException(dir + " is not a folder");
        FileStatus[] all = fs.listStatus(d);
        Arrays.sort(all, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        for (FileStatus s : all) {
            String name = s.getPath().getName();
            if (name.startsWith(".")) continue;
            Matcher m = NAME.matcher(name);
            if (s.isFile() && m.matches()) {
                out.put(Long.parseLong(m.group(1)), s.getPath().toString());
            } else {
                strays.add(new Item(-1, null, null, s.getPath().toString()));
            }
        }
    }

    private static List<String> classes(Options o, Configuration conf) throws IOException {
        List<String> names = new ArrayList<>();
        if (o.classesFile != null) {
            for (String line : Storage.readText(new Path(o.classesFile), conf).split("\n")) {
                if (!line.isBlank()) names.add(line.strip());
            }
            if (names.size() != o.numClasses) {
                throw new IOException(o.classesFile + " names " + names.size() + " classes but --num-classes is " + o.numClasses);
            }
        } else {
            for (int i = 0; i < o.numClasses; i++) names.add(Integer.toString(i));
        }
        return names;
    }

    /** (1, C, H, W) or (C, H, W) as [C, H, W]; null otherwise. */
    static int[] latentShape(long[] s) {
        if (s.length == 4 && s[0] == 1) s = Arrays.copyOfRange(s, 1, 4);
        if (s.length != 3) return null;
        return new int[] {(int) s[0], (int) s[1], (int) s[2]};
    }

    private record Producer(int[] shape, int numClasses, HadoopConf conf) implements RecordProducer<Item> {
        @Override
        public void produce(long first, List<Item> items, RecordSink sink) throws IOException {
            Configuration c = conf.get();
            for (Item it : items) {
                if (it.stray() != null) {
                    sink.rejected(it.stray(), "not named {i}.npy");
                } else if (it.feature() == null) {
                    sink.rejected(it.label(), "no matching features file " + it.index() + ".npy");
                } else if (it.label() == null) {
                    sink.rejected(it.feature(), "no matching labels file " + it.index() + ".npy");
                } else {
                    importOne(it, c, sink);
                }
                sink.itemDone();
            }
        }

        private void importOne(Item it, Configuration c, RecordSink sink) throws IOException {
            Tensor x;
            Tensor y;
            try {
                x = read(it.feature(), c);
            } catch (IOException | RuntimeException e) {
                sink.rejected(it.feature(), "unreadable: " + e.getMessage());
                return;
            }
            try {
                y = read(it.label(), c);
            } catch (IOException | RuntimeException e) {
                sink.rejected(it.label(), "unreadable: " + e.getMessage());
                return;
            }
            if (!Arrays.equals(latentShape(x.shape()), shape)) {
                sink.rejected(it.feature(), "shape " + Arrays.toString(x.shape()) + ", the first file has (1, "
                        + shape[0] + ", " + shape[1] + ", " + shape[2] + ")");
                return;
            }
            if (x.dtype() != DType.F32 && x.dtype() != DType.F16 && x.dtype() != DType.F64 && x.dtype() != DType.BF16) {
                sink.rejected(it.feature(), "dtype " + x.dtype() + ", expected a float type");
                return;
            }
            boolean intLabel = y.dtype() == DType.I64 || y.dtype() == DType.I32 || y.dtype() == DType.I16
                    || y.dtype() == DType.I8 || y.dtype() == DType.U8;
            if (y.numel() != 1 || !intLabel) {
                sink.rejected(it.label(), "label must be one integer (shape (1,) int64), got " + y.dtype() + " "
                        + Arrays.toString(y.shape()));
                return;
            }
            long label = y.toLongs()[0];
            if (label < 0 || label >= numClasses) {
                sink.rejected(it.label(), "label " + label + " outside 0.." + (numClasses - 1) + " (--num-classes " + numClasses + ")");
                return;
            }
            sink.record((int) label, x.toFloats());
        }

        private static Tensor read(String file, Configuration c) throws IOException {
            Path p = new Path(file);
            try (InputStream in = Storage.fs(p, c).open(p)) {
                return Npy.read(in, file);
            }
        }
    }
}
