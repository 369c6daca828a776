package org.dydit.prep.dataset;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a preprocessing job writes: where, in which record layout, and what the manifest says about it. */
public final class DatasetSpec {
    /** Default part size: about 64 MiB of records. */
    public static final long DEFAULT_PART_BYTES = 64L << 20;

    public String out;
    public boolean overwrite;
    public int[] shape;
    public RecordDType dtype = RecordDType.FLOAT32;
    /** 0 picks about {@link #DEFAULT_PART_BYTES} per part. */
    public long recordsPerPart;
    public List<String> classes;
    public Map<String, Object> encoder = new LinkedHashMap<>();
    public Map<String, Object> preprocess = new LinkedHashMap<>();
    public Map<String, Object> source = new LinkedHashMap<>();
    /** Any rejection fails the job. */
    public boolean strict;
    /** Names the job in progress lines and Spark job descriptions, e.g. "prep images". */
    public String jobName = "prep";
    /** What one input item is, for the progress line ("files", "images"). */
    public String unit = "items";
    /** Seconds between progress lines. */
    public double progressSeconds = 10;

    public RecordCodec codec() {
        return new RecordCodec(shape, dtype);
    }

    public long effectiveRecordsPerPart() {
        if (recordsPerPart > 0) return recordsPerPart;
        return Math.max(1, DEFAULT_PART_BYTES / codec().recordBytes());
    }
}
