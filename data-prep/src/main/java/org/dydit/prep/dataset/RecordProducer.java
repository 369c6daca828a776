package org.dydit.prep.dataset;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;

/**
 * Turns a contiguous slice of the input items (files, idx image numbers, npy indices) into records. It
 * runs inside Spark tasks, so it must be serializable, and it must emit its records in input order:
 * the concatenation over all slices is the dataset, however the items were sliced.
 *
 * @param <T> one input item; each task receives only its own slice, never the whole list
 */
public interface RecordProducer<T extends Serializable> extends Serializable {
    /**
     * @param first the position of {@code items.get(0)} in the whole input, for stable per-item seeds
     */
    void produce(long first, List<T> items, RecordSink sink) throws IOException;
}
