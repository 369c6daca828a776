package org.dydit.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.dydit.model.DiTConfig;
import org.dydit.prep.dataset.DatasetException;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.Storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A {@code dydit-latents/1} dataset streamed for single-process training through {@link LatentDataset#reader}: the
 * records in an order reshuffled every epoch from (seed, epoch), one block of {@value #BLOCK_RECORDS} records in
 * memory at a time, so memory does not grow with the dataset (ImageNet's 1.28M latents of 4×32×32 included).
 * Batches are consecutive positions of that order; the position goes into the checkpoint, so a resumed run reads
 * exactly the batches the uninterrupted one would have read.
 */
final class DatasetLatents implements AutoCloseable {
    /** Records per block of the shuffle, and so records held in memory. */
    static final int BLOCK_RECORDS = 256;

    private final String manifestPath;
    private final Manifest manifest;
    private final String manifestSha256;
    private final LatentDataset dataset;
    private final Configuration conf;
    private LatentDataset.Reader reader;

    private DatasetLatents(String manifestPath, Manifest manifest, String sha, LatentDataset dataset, Configuration conf) {
        this.manifestPath = manifestPath;
        this.manifest = manifest;
        this.manifestSha256 = sha;
        this.dataset = dataset;
        this.conf = conf;
    }

    /** Opens and checks a dataset folder (plain path, {@code file://} or {@code hdfs://}); reads nothing but the manifest. */
    static DatasetLatents open(String dir) throws IOException {
        Configuration conf = new Configuration();
        LatentDataset ds = LatentDataset.open(dir, conf);
        Manifest m = ds.manifest();
        String mf = new Path(ds.dir(), Manifest.FILE_NAME).toString();
        if (m.numRecords == 0) throw new DatasetException(mf + ": the dataset holds no records");
        String text = Storage.readText(new Path(mf), conf);
        return new DatasetLatents(mf, m, sha256(text.getBytes(StandardCharsets.UTF_8)), ds, conf);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    Manifest manifest() {
        return manifest;
    }

    String manifestPath() {
        return manifestPath;
    }

    /** SHA-256 of manifest.json, which lists every part file with its record count. */
    String manifestSha256() {
        return manifestSha256;
    }

    long size() {
        return manifest.numRecords;
    }

    /** Fails, naming the manifest, unless the records fit the model: shape [in_channels, input_size, input_size], classes <= num_classes. */
    void requireFits(DiTConfig cfg) throws DatasetException {
        int[] want = {cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
        if (!Arrays.equals(manifest.shape, want)) {
            throw new DatasetException(manifestPath + ": records have shape " + Arrays.toString(manifest.shape)
                    + " but the model takes [in_channels, input_size, input_size] = " + Arrays.toString(want));
        }
        if (manifest.numClasses > cfg.numClasses()) {
            throw new DatasetException(manifestPath + ": the dataset has " + manifest.numClasses
                    + " classes but the model's num_classes is " + cfg.numClasses());
        }
    }

    /** Starts reading the epochs shuffled from {@code seed} at {@code position} (records read before, over all epochs). */
    void start(long seed, long position) throws IOException {
        if (reader != null) reader.close();
        reader = dataset.reader(conf, seed, BLOCK_RECORDS);
        reader.seek(position);
    }

    /** Records read so far over all epochs. */
    long position() {
        return reader.position();
    }

    /** Fills {@code x0} and {@code y} with the next batch (a label outside the classes is an error naming its record). */
    void batch(float[] x0, int[] y) throws IOException {
        try {
            reader.batch(x0, y);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof DatasetException d) throw d;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (reader != null) reader.close();
    }
}
