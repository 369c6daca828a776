package org.dydit.prep.dataset;

import java.io.IOException;
import java.io.Serializable;

/**
 * Turns a contiguous range of input items (files, idx images, npy indices) into records. It runs
 * inside Spark tasks, so it must be serializable and must write its records in input order: the
 * concatenation over all ranges is the dataset, whatever the ranges were.
 */
public interface RecordProducer extends Serializable {
    void produce(int from, int to, RecordSink sink) throws IOException;
}
