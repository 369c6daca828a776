package org.dydit.formats;

import java.io.IOException;

/** Receives an array in consecutive blocks of rows (slices along the first axis), for arrays too big for the heap. */
@FunctionalInterface
public interface RowConsumer {
    /** {@code rows} has shape [n, shape[1:]...] and holds rows firstRow .. firstRow+n-1. */
    void accept(long firstRow, Tensor rows) throws IOException;
}
