package org.dydit.prep.dataset;

/** The element type of the tensors in a dataset's records, named as in {@code manifest.json}. */
public enum RecordDType {
    FLOAT16("float16", 2),
    FLOAT32("float32", 4);

    private final String manifestName;
    private final int bytes;

    RecordDType(String manifestName, int bytes) {
        this.manifestName = manifestName;
        this.bytes = bytes;
    }

    public String manifestName() {
        return manifestName;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses {@code "float16"} or {@code "float32"}; anything else is rejected with the accepted names. */
    public static RecordDType parse(String name) {
        for (RecordDType t : values()) {
            if (t.manifestName.equals(name)) return t;
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "' (expected float16 or float32)");
    }
}
