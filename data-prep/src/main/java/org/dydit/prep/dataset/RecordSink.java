package org.dydit.prep.dataset;

import java.io.IOException;

/** Where a {@link RecordProducer} puts its output, in input order. */
public interface RecordSink {
    void record(int label, float[] tensor) throws IOException;

    /** An input that was usable after a conversion (for example a grey image made RGB). */
    void converted(String path, String reason);

    /** An input that was left out, and why. */
    void rejected(String path, String reason);

    /** One input item finished, for the progress line. */
    void itemDone();
}
