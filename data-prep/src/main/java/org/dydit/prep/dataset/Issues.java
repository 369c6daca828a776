package org.dydit.prep.dataset;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A count of converted or rejected inputs plus the first {@link #KEEP} of them with their reason, in
 * input order, as {@code manifest.json} lists them.
 */
public final class Issues implements Serializable {
    private static final long serialVersionUID = 1L;
    /** How many entries a manifest lists; the count covers all of them. */
    public static final int KEEP = 100;

    /** One input path and why it was converted or rejected. */
    public record Entry(String path, String reason) implements Serializable {}

    private long count;
    private final List<Entry> first = new ArrayList<>();

    public void add(String path, String reason) {
        count++;
        if (first.size() < KEEP) first.add(new Entry(path, reason));
    }

    /** Appends {@code later}, whose entries all come after this one's in input order. */
    public void addAll(Issues later) {
        count += later.count;
        for (Entry e : later.first) {
            if (first.size() >= KEEP) break;
            first.add(e);
        }
    }

    public long count() {
        return count;
    }

    public List<Entry> first() {
        return Collections.unmodifiableList(first);
    }

    public static Issues of(long count, List<Entry> entries) {
        Issues i = new Issues();
        i.count = count;
        i.first.addAll(entries);
        return i;
    }
}
