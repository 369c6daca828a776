package org.dydit.prep.dataset;

import java.io.EOFException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Reads a dataset folder for training: an RDD of {@link LabeledTensor}, reshuffled each epoch from a seed
 * and streamed block by block, so a task never holds more than one block of records.
 *
 * <p>{@link #open} trusts nothing: it checks the manifest and that every part file holds exactly
 * {@code records * record_bytes} bytes, and names the file when it does not.
 *
 * <p>The shuffle has two levels: the dataset is cut into blocks of {@code blockRecords} consecutive
 * records, the blocks are permuted and dealt round-robin to the partitions, and each block's records are
 * permuted as it is read. Both permutations depend only on (seed, epoch).
 *
 * <p>{@link #reader} reads the same epoch orders in one process, without Spark, for single-process training: one
 * block in memory at a time, records addressed by their position in the endless sequence of epochs, so a
 * training checkpoint resumes the data exactly from one number.
 */
public final class LatentDataset implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BLOCK_RECORDS = 256;

    private final String dir;
    private final Manifest manifest;

    private LatentDataset(String dir, Manifest manifest) {
        this.dir = dir;
        this.manifest = manifest;
    }

    public Manifest manifest() {
        return manifest;
    }

    public String dir() {
        return dir;
    }

    /** Opens and checks a dataset folder ({@code hdfs://}, {@code file://} or a plain path). */
    public static LatentDataset open(String dir, Configuration conf) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = Storage.fs(root, conf);
        Path mf = new Path(root, Manifest.FILE_NAME);
        if (!fs.exists(mf)) {
            throw new DatasetException(mf + ": no manifest.json here; is " + dir + " a dataset folder written by 'dydit prep'?");
        }
        Manifest m = Manifest.parse(Storage.readText(mf, conf), mf.toString());
        for (Manifest.Part p : m.parts) {
            Path f = new Path(root, p.file());
            if (!fs.exists(f)) throw new DatasetException(f + ": part file listed in " + mf + " is missing");
            FileStatus st = fs.getFileStatus(f);
            long expected = p.records() * m.recordBytes;
            if (st.getLen() != expected) {
                String what = st.getLen() < expected ? "truncated" : "longer than the manifest says";
                throw new DatasetException(f + ": " + what + ": " + st.getLen() + " bytes, but " + mf + " says "
                        + p.records() + " records of " + m.recordBytes + " bytes = " + expected);
            }
        }
        return new LatentDataset(root.toString(), m);
    }

    public static LatentDataset open(JavaSparkContext sc, String dir) throws IOException {
        return open(dir, sc.hadoopConfiguration());
    }

    /**
     * Fails, naming the manifest, unless the records are [C, H, W] = {@code expected} (for example a model
     * built for 4×32×32 latents given a pixel dataset).
     */
    public LatentDataset requireShape(int... expected) throws DatasetException {
        if (!java.util.Arrays.equals(manifest.shape, expected)) {
            throw new DatasetException(new Path(dir, Manifest.FILE_NAME) + ": records have shape "
                    + java.util.Arrays.toString(manifest.shape) + " (encoder " + manifest.encoder + "), expected "
                    + java.util.Arrays.toString(expected));
        }
        return this;
    }

    /** A run of consecutive records inside one part file. */
    record Block(int part, long first, int count) implements Serializable {}

    List<Block> blocks(int blockRecords) {
        List<Block> out = new ArrayList<>();
        for (int p = 0; p < manifest.parts.size(); p++) {
            long n = manifest.parts.get(p).records();
            for (long s = 0; s < n; s += blockRecords) out.add(new Block(p, s, (int) Math.min(blockRecords, n - s)));
        }
        return out;
    }

    /** Every record once, in file order (part by part), one partition per part file. */
    public JavaRDD<LabeledTensor> records(JavaSparkContext sc) {
        List<List<Block>> perPart = new ArrayList<>();
        for (Block b : blocks(DEFAULT_BLOCK_RECORDS)) {
            while (perPart.size() <= b.part()) perPart.add(new ArrayList<>());
            perPart.get(b.part()).add(b);
        }
        return read(sc, perPart, -1, -1);
    }

    /** The blocks in the order epoch {@code epoch} visits them under {@code seed}. */
    List<Block> blockOrder(long seed, long epoch, int blockRecords) {
        List<Block> all = blocks(blockRecords);
        Collections.shuffle(all, new Random(mix(seed, epoch, -1)));
        return all;
    }

    /** The order in which epoch {@code epoch} visits the records of block {@code b}: 0..count-1 permuted, or as stored. */
    static int[] recordOrder(Block b, boolean shuffle, long seed, long epoch, int[] order) {
        for (int i = 0; i < b.count(); i++) order[i] = i;
        if (shuffle) {
            Random r = new Random(mix(seed, epoch, (long) b.part() << 32 | b.first()));
            for (int i = b.count() - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Every record once, in an order fixed by (seed, epoch), over {@code partitions} partitions. */
    public JavaRDD<LabeledTensor> shuffled(JavaSparkContext sc, long seed, int epoch, int partitions, int blockRecords) {
        List<Block> all = blockOrder(seed, epoch, blockRecords);
        int np = Math.max(1, Math.min(partitions, all.size()));
        List<List<Block>> dealt = new ArrayList<>();
        for (int i = 0; i < np; i++) dealt.add(new ArrayList<>());
        for (int i = 0; i < all.size(); i++) dealt.get(i % np).add(all.get(i));
        return read(sc, dealt, seed, epoch);
    }

    public JavaRDD<LabeledTensor> shuffled(JavaSparkContext sc, long seed, int epoch, int partitions) {
        return shuffled(sc, seed, epoch, partitions, DEFAULT_BLOCK_RECORDS);
    }

    private JavaRDD<LabeledTensor> read(JavaSparkContext sc, List<List<Block>> partitions, long seed, int epoch) {
        HadoopConf hconf = new HadoopConf(sc.hadoopConfiguration());
        LatentDataset self = this;
        boolean shuffle = epoch >= 0;
        return sc.parallelize(partitions, Math.max(1, partitions.size()))
                .mapPartitions(it -> {
                    List<Block> mine = new ArrayList<>();
                    it.forEachRemaining(mine::addAll);
                    return self.stream(mine, hconf.get(), shuffle, seed, epoch);
                });
    }

    private static long mix(long seed, long epoch, long block) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + block * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Reads the given blocks lazily, one block in memory at a time. */
    Iterator<LabeledTensor> stream(List<Block> blocks, Configuration conf, boolean shuffle, long seed, int epoch) {
        RecordCodec codec = manifest.codec();
        int rb = manifest.recordBytes;
        return new Iterator<>() {
            int next;
            byte[] data;
            int[] order;
            int pos;
            Block cur;

            @Override public boolean hasNext() {
                while ((order == null || pos >= order.length) && next < blocks.size()) load(blocks.get(next++));
                return order != null && pos < order.length;
            }

            @Override public LabeledTensor next() {
                if (!hasNext()) throw new NoSuchElementException();
                int i = order[pos++];
                int off = i * rb;
                int label = checkedLabel(data, off, cur, i);
                return new LabeledTensor(label, codec.tensor(data, off));
            }

            private void load(Block b) {
                cur = b;
                Path f = new Path(dir, manifest.parts.get(b.part()).file());
                data = new byte[b.count() * rb];
                try (FSDataInputStream in = Storage.fs(f, conf).open(f)) {
                    in.readFully(b.first() * rb, data);
                } catch (EOFException e) {
                    throw new IllegalStateException(new DatasetException(f + ": truncated: cannot read records "
                            + b.first() + ".." + (b.first() + b.count() - 1) + " of " + rb + " bytes", e));
                } catch (IOException e) {
                    throw new IllegalStateException(new DatasetException(f + ": read failed: " + e.getMessage(), e));
                }
                order = recordOrder(b, shuffle, seed, epoch, new int[b.count()]);
                pos = 0;
            }
        };
    }

    /** The label of record {@code i} of block {@code b}, held at {@code off} in {@code data}; one outside the classes is an error naming it. */
    private int checkedLabel(byte[] data, int off, Block b, int i) {
        int label = manifest.codec().label(data, off);
        if (label < 0 || label >= manifest.numClasses) {
            throw new IllegalStateException(new DatasetException(new Path(dir, manifest.parts.get(b.part()).file())
                    + ": record " + (b.first() + i) + " has label " + label + ", outside 0.."
                    + (manifest.numClasses - 1) + " of the manifest"));
        }
        return label;
    }

    /**
     * A reader of the shuffled epochs in this process (no Spark), for single-process training: epoch e visits the
     * blocks and their records in the orders {@link #shuffled} uses for (seed, e). Position p is record
     * {@code p mod N} of epoch {@code p / N}'s order (N records). It holds one block of records at a time
     * ({@code blockRecords × record_bytes}), whatever the size of the dataset.
     */
    public Reader reader(Configuration conf, long seed, int blockRecords) {
        if (blockRecords < 1) throw new IllegalArgumentException("block size must be positive, got " + blockRecords);
        if (manifest.numRecords == 0) {
            throw new IllegalArgumentException(new Path(dir, Manifest.FILE_NAME) + ": the dataset holds no records");
        }
        return new Reader(conf, seed, blockRecords);
    }

    /** Part files a {@link Reader} keeps open at most. */
    static final int MAX_OPEN = 64;

    /** See {@link #reader}. Not thread-safe; close it to close the part files. */
    public final class Reader implements AutoCloseable {
        private final Configuration conf;
        private final long seed;
        private final RecordCodec codec = manifest.codec();
        private final byte[] buf;          // the current block's records
        private final int[] order;         // the current block's record order
        private final FSDataInputStream[] streams = new FSDataInputStream[manifest.parts.size()];
        private int open;                  // streams not null; at most MAX_OPEN, so many small parts need few file handles
        private final int blockRecords;
        private long position;
        private long epoch = -1;           // epoch of blocks/starts
        private List<Block> blocks;        // epoch order
        private long[] starts;             // starts[k]: position in the epoch of block k's first record
        private int loaded = -1;           // index in blocks of the block in buf

        private Reader(Configuration conf, long seed, int blockRecords) {
            this.conf = conf;
            this.seed = seed;
            this.blockRecords = (int) Math.min(blockRecords, Math.max(1, manifest.numRecords));
            this.buf = new byte[this.blockRecords * manifest.recordBytes];
            this.order = new int[this.blockRecords];
        }

        /** Records read so far over all epochs: the next record's position. */
        public long position() {
            return position;
        }

        /** Moves to position {@code p} (what {@link #position} returned); the next read is that record. */
        public void seek(long p) {
            if (p < 0) throw new IllegalArgumentException("negative data position " + p);
            position = p;
        }

        /** Bytes of records this reader holds: one block, whatever the size of the dataset. */
        public long bufferBytes() {
            return buf.length;
        }

        /** Reads the record at the current position into {@code x[off .. off + elements)}, returns its label, advances. */
        public int next(float[] x, int off) throws IOException {
            long n = manifest.numRecords;
            long e = position / n;
            long i = position % n;
            if (e != epoch) {
                blocks = blockOrder(seed, e, blockRecords);
                starts = new long[blocks.size()];
                long s = 0;
                for (int k = 0; k < starts.length; k++) {
                    starts[k] = s;
                    s += blocks.get(k).count();
                }
                epoch = e;
                loaded = -1;
            }
            int k = loaded;
            if (k < 0 || i < starts[k] || i >= starts[k] + blocks.get(k).count()) {
                k = java.util.Arrays.binarySearch(starts, i);
                if (k < 0) k = -k - 2;
                load(k);
            }
            Block b = blocks.get(k);
            int r = order[(int) (i - starts[k])];
            int at = r * manifest.recordBytes;
            int label = checkedLabel(buf, at, b, r);
            codec.tensorInto(buf, at, x, off);
            position++;
            return label;
        }

        /** Fills a batch: {@code labels.length} records into {@code x0} (B × elements) and their labels. */
        public void batch(float[] x0, int[] labels) throws IOException {
            int per = codec.elements();
            for (int k = 0; k < labels.length; k++) labels[k] = next(x0, k * per);
        }

        private void load(int k) throws IOException {
            Block b = blocks.get(k);
            Path f = new Path(dir, manifest.parts.get(b.part()).file());
            int rb = manifest.recordBytes;
            try {
                if (streams[b.part()] == null) {
                    if (open >= MAX_OPEN) close();
                    streams[b.part()] = Storage.fs(f, conf).open(f);
                    open++;
                }
                streams[b.part()].readFully(b.first() * rb, buf, 0, b.count() * rb);
            } catch (EOFException e) {
                throw new DatasetException(f + ": truncated: cannot read records " + b.first() + ".." + (b.first() + b.count() - 1)
                        + " of " + rb + " bytes", e);
            } catch (IOException e) {
                throw new DatasetException(f + ": read failed: " + e.getMessage(), e);
            }
            recordOrder(b, true, seed, epoch, order);
            loaded = k;
        }

        @Override
        public void close() throws IOException {
            IOException first = null;
            for (int p = 0; p < streams.length; p++) {
                if (streams[p] == null) continue;
                try {
                    streams[p].close();
                } catch (IOException e) {
                    if (first == null) first = e;
                }
                streams[p] = null;
            }
            open = 0;
            if (first != null) throw first;
        }
    }
}
