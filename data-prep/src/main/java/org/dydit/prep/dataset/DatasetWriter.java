package org.dydit.prep.dataset;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.dydit.formats.TempOwner;

/**
 * Writes a dataset folder from a {@link RecordProducer} with Spark, in two jobs:
 * <ol>
 *   <li>each task turns a contiguous range of input items into a chunk file of records;</li>
 *   <li>each task cuts one part file of exactly {@code records_per_part} records out of the chunks.</li>
 * </ol>
 * Part files therefore depend only on the concatenated record stream, never on how many tasks made it.
 * Everything goes to a hidden temporary folder beside the output, renamed into place only when the
 * manifest is written, so a failed job leaves no half-written dataset behind.
 */
public final class DatasetWriter {
    private DatasetWriter() {}

    /** What one chunk task made. */
    record Chunk(int index, String file, long records, Issues converted, Issues rejected) implements Serializable {}

    /**
     * Runs the two jobs and returns the manifest written.
     *
     * @param items number of input items; {@code producer} is called on ranges of {@code [0, items)}
     * @param tasks how many ranges (Spark tasks) to cut the items into
     */
    public static <T extends Serializable> Manifest write(JavaSparkContext sc, DatasetSpec spec,
                                                         RecordProducer<T> producer, List<T> items, int tasks,
                                                         PrintStream log) throws IOException {
        Configuration conf = sc.hadoopConfiguration();
        Path out = new Path(spec.out);
        FileSystem fs = Storage.fs(out, conf);
        out = fs.makeQualified(out);
        if (fs.exists(out)) {
            if (!spec.overwrite) throw new IOException("output " + out + " already exists (pass --overwrite to replace it)");
            requireReplaceable(fs, out);
        }
        removeStaleTemporaries(fs, out, log);
        Path tmp = new Path(out.getParent(), incompletePrefix(out) + UUID.randomUUID().toString().substring(0, 8)
                + "-" + TempOwner.tag());
        if (!fs.mkdirs(tmp)) throw new IOException("cannot create temporary folder " + tmp);
        boolean done = false;
        String description = sc.getLocalProperty("spark.job.description");
        try {
            Manifest m = writeInto(sc, spec, producer, items, tasks, tmp, conf, log);
            if (fs.exists(out)) {
                // --overwrite: the old dataset goes only once the new one is complete.
                if (!fs.delete(out, true)) throw new IOException("cannot delete old output " + out);
            }
            if (!fs.rename(tmp, out)) throw new IOException("cannot rename " + tmp + " to " + out);
            done = true;
            return m;
        } finally {
            sc.setJobDescription(description);
            if (!done) {
                try {
                    fs.delete(tmp, true);
                } catch (IOException e) {
                    log.println("warning: could not delete temporary folder " + tmp + ": " + e.getMessage());
                }
            }
        }
    }

    /** Every run's temporary folder is {@code .NAME.incomplete-RANDOM-PID@HOST} beside the output NAME. */
    static String incompletePrefix(Path out) {
        return "." + out.getName() + ".incomplete-";
    }

    /**
     * Deletes the temporary folders of earlier runs for the same output whose writer was killed: only names this
     * class makes, and only where the owner ran on this host and is gone ({@link TempOwner}); a live run's folder,
     * another host's and one without an owner (written before owners were recorded) are left alone.
     */
    static void removeStaleTemporaries(FileSystem fs, Path out, PrintStream log) throws IOException {
        if (out.getParent() == null || !fs.exists(out.getParent())) return;
        String prefix = incompletePrefix(out);
        for (FileStatus s : fs.listStatus(out.getParent())) {
            String name = s.getPath().getName();
            if (!s.isDirectory() || !name.startsWith(prefix)) continue;
            int dash = name.indexOf('-', prefix.length());
            if (dash < 0 || !TempOwner.isDead(name.substring(dash + 1))) continue;
            if (fs.delete(s.getPath(), true)) log.println("removed " + s.getPath() + ", left by a run that was stopped");
        }
    }

    /**
     * --overwrite replaces an earlier dataset (manifest.json and part files) or an empty folder, never a
     * folder holding anything else: a mistyped --out must not cost the user a home directory.
     */
    private static void requireReplaceable(FileSystem fs, Path out) throws IOException {
        if (!fs.getFileStatus(out).isDirectory()) {
            throw new IOException("output " + out + " is a file; --overwrite replaces only a dataset folder");
        }
        for (FileStatus s : fs.listStatus(out)) {
            String name = s.getPath().getName();
            if (!s.isFile() || !(name.equals(Manifest.FILE_NAME) || name.matches("part-\\d{5,}\\.bin"))) {
                throw new IOException("output " + out + " holds '" + name + "', which is not part of a dataset;"
                        + " --overwrite replaces only a dataset folder (manifest.json and part files): remove it"
                        + " yourself or choose another --out");
            }
        }
    }

    /** One task's share of the input: its position in the whole and its items. */
    record Slice<T>(int index, long first, ArrayList<T> items) implements Serializable {}

    private static <T extends Serializable> Manifest writeInto(JavaSparkContext sc, DatasetSpec spec,
                                                               RecordProducer<T> producer, List<T> input, int tasks,
                                                               Path tmp, Configuration conf, PrintStream log)
            throws IOException {
        int items = input.size();
        RecordCodec codec = spec.codec();
        int recordBytes = codec.recordBytes();
        HadoopConf hconf = new HadoopConf(conf);
        String chunkDir = new Path(tmp, "_chunks").toString();
        tasks = Math.max(1, Math.min(tasks, Math.max(items, 1)));
        List<Slice<T>> slices = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            int from = (int) ((long) items * t / tasks);
            int to = (int) ((long) items * (t + 1) / tasks);
            slices.add(new Slice<>(t, from, new ArrayList<>(input.subList(from, to))));
        }
        LongAccumulator itemsDone = sc.sc().longAccumulator(spec.jobName + " items done");
        sc.setJobDescription(spec.jobName + ": encode " + items + " " + spec.unit + " in " + tasks + " tasks");
        List<Chunk> chunks;
        try (Progress p = new Progress(spec.jobName, spec.unit, items, itemsDone::value, log,
                (long) (spec.progressSeconds * 1000))) {
            chunks = new ArrayList<>(sc.parallelize(slices, tasks)
                    .map(sl -> makeChunk(sl, producer, codec, chunkDir, hconf, itemsDone))
                    .collect());
        }
        chunks.sort(Comparator.comparingInt(Chunk::index));
        Issues converted = new Issues();
        Issues rejected = new Issues();
        long total = 0;
        for (Chunk c : chunks) {
            converted.addAll(c.converted());
            rejected.addAll(c.rejected());
            total += c.records();
        }
        if (spec.strict && rejected.count() > 0) {
            StringBuilder sb = new StringBuilder("--strict: " + rejected.count() + " input(s) rejected:");
            rejected.first().stream().limit(10).forEach(e -> sb.append("\n  ").append(e.path()).append(": ").append(e.reason()));
            throw new IOException(sb.toString());
        }
        if (total == 0) {
            throw new IOException("no records to write: " + items + " " + spec.unit + ", " + rejected.count() + " rejected"
                    + (rejected.first().isEmpty() ? "" : " (first: " + rejected.first().get(0).path() + ": "
                    + rejected.first().get(0).reason() + ")"));
        }
        long perPart = spec.effectiveRecordsPerPart();
        int nParts = (int) ((total + perPart - 1) / perPart);
        List<String> chunkFiles = new ArrayList<>();
        long[] chunkStart = new long[chunks.size() + 1];
        for (int i = 0; i < chunks.size(); i++) {
            chunkFiles.add(chunks.get(i).file());
            chunkStart[i + 1] = chunkStart[i] + chunks.get(i).records();
        }
        List<Integer> partIds = new ArrayList<>();
        for (int i = 0; i < nParts; i++) partIds.add(i);
        String tmpDir = tmp.toString();
        final long totalRecords = total;
        LongAccumulator partsDone = sc.sc().longAccumulator(spec.jobName + " parts done");
        sc.setJobDescription(spec.jobName + ": write " + nParts + " part files of " + perPart + " records");
        try (Progress p = new Progress(spec.jobName + " (parts)", "parts", nParts, partsDone::value, log,
                (long) (spec.progressSeconds * 1000))) {
            sc.parallelize(partIds, Math.max(1, nParts)).foreach(part -> {
                writePart(part, perPart, totalRecords, recordBytes, chunkFiles, chunkStart, tmpDir, hconf);
                partsDone.add(1);
            });
        }
        List<Manifest.Part> parts = new ArrayList<>();
        for (int i = 0; i < nParts; i++) {
            parts.add(new Manifest.Part(partName(i), Math.min(perPart, total - (long) i * perPart)));
        }
        Manifest m = new Manifest(spec.shape, spec.dtype, perPart, parts, spec.classes, spec.encoder,
                spec.preprocess, spec.source, converted, rejected);
        FileSystem fs = Storage.fs(tmp, conf);
        fs.delete(new Path(chunkDir), true);
        Storage.writeText(new Path(tmp, Manifest.FILE_NAME), conf, m.toJson());
        log.println(String.format(Locale.ROOT, "%s: %d records in %d part(s), %d converted, %d rejected",
                spec.jobName, total, nParts, converted.count(), rejected.count()));
        return m;
    }

    public static String partName(int i) {
        return String.format(Locale.ROOT, "part-%05d.bin", i);
    }

    private static <T extends Serializable> Chunk makeChunk(Slice<T> slice, RecordProducer<T> producer,
                                                            RecordCodec codec, String chunkDir, HadoopConf hconf,
                                                            LongAccumulator itemsDone) throws IOException {
        int index = slice.index();
        TaskContext tc = TaskContext.get();
        long attempt = tc != null ? tc.taskAttemptId() : 0;
        // One file per attempt, so a retried or speculative attempt never writes into another's file.
        Path file = new Path(chunkDir, String.format(Locale.ROOT, "chunk-%06d.%d.bin", index, attempt));
        Issues converted = new Issues();
        Issues rejected = new Issues();
        long[] records = {0};
        byte[] buf = new byte[codec.recordBytes()];
        try (OutputStream os = new BufferedOutputStream(Storage.create(file, hconf.get()), 1 << 20)) {
            producer.produce(slice.first(), slice.items(), new RecordSink() {
                @Override public void record(int label, float[] tensor) throws IOException {
                    codec.encode(label, tensor, buf, 0);
                    os.write(buf);
                    records[0]++;
                }

                @Override public void converted(String path, String reason) {
                    converted.add(path, reason);
                }

                @Override public void rejected(String path, String reason) {
                    rejected.add(path, reason);
                }

                @Override public void itemDone() {
                    itemsDone.add(1);
                }
            });
        }
        return new Chunk(index, file.toString(), records[0], converted, rejected);
    }

    private static void writePart(int part, long perPart, long total, int recordBytes, List<String> chunkFiles,
                                  long[] chunkStart, String tmpDir, HadoopConf hconf) throws IOException {
        Configuration conf = hconf.get();
        long first = part * perPart;
        long end = Math.min(first + perPart, total);
        Path dest = new Path(tmpDir, partName(part));
        TaskContext tc = TaskContext.get();
        Path attemptFile = new Path(tmpDir, "_" + partName(part) + "." + (tc != null ? tc.taskAttemptId() : 0));
        FileSystem fs = Storage.fs(dest, conf);
        byte[] buf = new byte[1 << 20];
        try (OutputStream os = fs.create(attemptFile, true)) {
            for (int c = 0; c < chunkFiles.size(); c++) {
                long lo = Math.max(first, chunkStart[c]);
                long hi = Math.min(end, chunkStart[c + 1]);
                if (lo >= hi) continue;
                Path cf = new Path(chunkFiles.get(c));
                try (FSDataInputStream in = fs.open(cf)) {
                    in.seek((lo - chunkStart[c]) * recordBytes);
                    long left = (hi - lo) * recordBytes;
                    while (left > 0) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (n < 0) throw new IOException(cf + ": ended " + left + " bytes early");
                        os.write(buf, 0, n);
                        left -= n;
                    }
                }
            }
        }
        if (fs.exists(dest)) {
            fs.delete(attemptFile, false);   // another attempt of this task already finished
        } else if (!fs.rename(attemptFile, dest)) {
            throw new IOException("cannot rename " + attemptFile + " to " + dest);
        }
    }
}
