package org.dydit.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.dydit.model.DiTConfig;
import org.dydit.prep.dataset.DatasetException;
import org.dydit.prep.dataset.LatentDataset;
import org.dydit.prep.dataset.Manifest;
import org.dydit.prep.dataset.RecordCodec;
import org.dydit.prep.dataset.Storage;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

/**
 * A {@code dydit-latents/1} dataset read whole into memory for single-process training. Batches depend only on
 * (seed, step), so a resumed run sees the same batches as an uninterrupted one: the records are visited in an
 * order reshuffled every epoch from (seed, epoch).
 */
final class DatasetLatents {
    private final String manifestPath;
    private final Manifest manifest;
    private final float[] data;     // record i at [i * perSample, (i+1) * perSample)
    private final int[] labels;
    private final int perSample;
    private int[] order;
    private long orderSeed;
    private long orderEpoch = -1;

    private DatasetLatents(String manifestPath, Manifest manifest, float[] data, int[] labels) {
        this.manifestPath = manifestPath;
        this.manifest = manifest;
        this.data = data;
        this.labels = labels;
        this.perSample = data.length / labels.length;
    }

    /** Opens and checks a dataset folder (plain path, {@code file://} or {@code hdfs://}) and reads every record. */
    static DatasetLatents read(String dir) throws IOException {
        Configuration conf = new Configuration();
        LatentDataset ds = LatentDataset.open(dir, conf);
        Manifest m = ds.manifest();
        String mf = new Path(ds.dir(), Manifest.FILE_NAME).toString();
        if (m.numRecords == 0) throw new DatasetException(mf + ": the dataset holds no records");
        long elems = m.numRecords * m.codec().elements();
        if (elems > Integer.MAX_VALUE - 16) {
            throw new DatasetException(mf + ": " + m.numRecords + " records do not fit in memory for single-process training");
        }
        RecordCodec codec = m.codec();
        int per = codec.elements();
        float[] data = new float[(int) elems];
        int[] labels = new int[(int) m.numRecords];
        int rb = m.recordBytes;
        int i = 0;
        for (Manifest.Part p : m.parts) {
            Path f = new Path(ds.dir(), p.file());
            byte[] buf = new byte[rb];
            try (FSDataInputStream in = Storage.fs(f, conf).open(f)) {
                for (long r = 0; r < p.records(); r++, i++) {
                    in.readFully(buf);
                    int label = codec.label(buf, 0);
                    if (label < 0 || label >= m.numClasses) {
                        throw new DatasetException(f + ": record " + r + " has label " + label + ", outside 0.."
                                + (m.numClasses - 1) + " of " + mf);
                    }
                    labels[i] = label;
                    System.arraycopy(codec.tensor(buf, 0), 0, data, i * per, per);
                }
            } catch (java.io.EOFException e) {
                throw new DatasetException(f + ": truncated (fewer records than " + mf + " lists)", e);
            }
        }
        return new DatasetLatents(mf, m, data, labels);
    }

    Manifest manifest() {
        return manifest;
    }

    String manifestPath() {
        return manifestPath;
    }

    long size() {
        return labels.length;
    }

    /** Fails, naming the manifest, unless the records fit the model: shape [in_channels, input_size, input_size], labels < num_classes. */
    void requireFits(DiTConfig cfg) throws DatasetException {
        int[] want = {cfg.inChannels(), cfg.inputSize(), cfg.inputSize()};
        if (!Arrays.equals(manifest.shape, want)) {
            throw new DatasetException(manifestPath + ": records have shape " + Arrays.toString(manifest.shape)
                    + " but the model takes [in_channels, input_size, input_size] = " + Arrays.toString(want));
        }
        int maxLabel = Arrays.stream(labels).max().orElse(0);
        if (manifest.numClasses > cfg.numClasses() || maxLabel >= cfg.numClasses()) {
            throw new DatasetException(manifestPath + ": the dataset has " + manifest.numClasses
                    + " classes but the model's num_classes is " + cfg.numClasses());
        }
    }

    /** Fills {@code x0} and {@code y} with batch number {@code step}: positions step·B .. step·B+B-1 of the epoch orders. */
    void batch(long seed, long step, float[] x0, int[] y) {
        int b = y.length;
        for (int k = 0; k < b; k++) {
            long g = step * b + k;
            long epoch = g / labels.length;
            if (order == null || epoch != orderEpoch || seed != orderSeed) shuffle(seed, epoch);
            int idx = order[(int) (g % labels.length)];
            y[k] = labels[idx];
            System.arraycopy(data, idx * perSample, x0, k * perSample, perSample);
        }
    }

    private void shuffle(long seed, long epoch) {
        if (order == null) order = new int[labels.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Random r = new Random(seed * 0x9E3779B97F4A7C15L ^ (epoch + 1) * 0xBF58476D1CE4E5B9L);
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        orderEpoch = epoch;
        orderSeed = seed;
    }
}
