package org.dydit.prep.dataset;

import java.io.IOException;

/** A dataset folder that cannot be trusted: the message names the file and what is wrong with it. */
public class DatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
