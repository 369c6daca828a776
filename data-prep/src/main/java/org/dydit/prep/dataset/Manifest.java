package org.dydit.prep.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code manifest.json} of a dataset folder (format {@value #FORMAT}); see docs/formats.md.
 * {@link #parse} checks that it is self-consistent before anybody trusts the part files.
 */
public final class Manifest implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FORMAT = "dydit-latents/1";
    public static final String FILE_NAME = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One part file and how many records it holds. */
    public record Part(String file, long records) implements Serializable {}

    public final int[] shape;
    public final RecordDType dtype;
    public final long numRecords;
    public final int recordBytes;
    public final long recordsPerPart;
    public final List<Part> parts;
    public final int numClasses;
    public final List<String> classes;
    public final Map<String, Object> encoder;
    public final Map<String, Object> preprocess;
    public final Map<String, Object> source;
    public final Issues converted;
    public final Issues rejected;

    public Manifest(int[] shape, RecordDType dtype, long recordsPerPart, List<Part> parts, List<String> classes,
                    Map<String, Object> encoder, Map<String, Object> preprocess, Map<String, Object> source,
                    Issues converted, Issues rejected) {
        this.shape = shape.clone();
        this.dtype = dtype;
        this.recordBytes = new RecordCodec(shape, dtype).recordBytes();
        this.recordsPerPart = recordsPerPart;
        this.parts = List.copyOf(parts);
        this.numRecords = parts.stream().mapToLong(Part::records).sum();
        this.classes = List.copyOf(classes);
        this.numClasses = classes.size();
        this.encoder = new LinkedHashMap<>(encoder);
        this.preprocess = new LinkedHashMap<>(preprocess);
        this.source = new LinkedHashMap<>(source);
        this.converted = converted;
        this.rejected = rejected;
    }

    public RecordCodec codec() {
        return new RecordCodec(shape, dtype);
    }

    /** The JSON text, keys in the documented order. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("shape", shape);
        m.put("dtype", dtype.manifestName());
        m.put("num_records", numRecords);
        m.put("record_bytes", recordBytes);
        m.put("records_per_part", recordsPerPart);
        List<Map<String, Object>> ps = new ArrayList<>();
        for (Part p : parts) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("file", p.file());
            pm.put("records", p.records());
            ps.add(pm);
        }
        m.put("parts", ps);
        m.put("num_classes", numClasses);
        m.put("classes", classes);
        m.put("encoder", encoder);
        m.put("preprocess", preprocess);
        m.put("source", source);
        m.put("converted", issues(converted));
        m.put("rejected", issues(rejected));
        try {
            return JSON.writeValueAsString(m) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise manifest", e);
        }
    }

    private static Map<String, Object> issues(Issues i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", i.count());
        List<Map<String, String>> l = new ArrayList<>();
        for (Issues.Entry e : i.first()) {
            Map<String, String> em = new LinkedHashMap<>();
            em.put("path", e.path());
            em.put("reason", e.reason());
            l.add(em);
        }
        m.put("first", l);
        return m;
    }

    /**
     * Parses and checks a manifest: the format tag, a positive shape, {@code record_bytes} equal to
     * 4 + C·H·W·dtype size, {@code num_records} equal to the sum of the parts, every part but the last
     * holding exactly {@code records_per_part}, and {@code classes} matching {@code num_classes}.
     *
     * @param where the manifest's path, named in every error
     */
    @SuppressWarnings("unchecked")
    public static Manifest parse(String json, String where) throws DatasetException {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new DatasetException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new DatasetException(where + ": not a JSON object");
        String format = text(n, "format", where);
        if (!FORMAT.equals(format)) {
            throw new DatasetException(where + ": format is '" + format + "', this reader understands '" + FORMAT + "'");
        }
        JsonNode sh = field(n, "shape", where);
        if (!sh.isArray() || sh.size() != 3) throw new DatasetException(where + ": 'shape' must be [C, H, W], got " + sh);
        int[] shape = new int[3];
        for (int i = 0; i < 3; i++) {
            if (!sh.get(i).canConvertToInt() || sh.get(i).asInt() <= 0) {
                throw new DatasetException(where + ": 'shape' must hold positive integers, got " + sh);
            }
            shape[i] = sh.get(i).asInt();
        }
        RecordDType dtype;
        try {
            dtype = RecordDType.parse(text(n, "dtype", where));
        } catch (IllegalArgumentException e) {
            throw new DatasetException(where + ": 'dtype': " + e.getMessage());
        }
        long perPart = number(n, "records_per_part", where);
        if (perPart <= 0) throw new DatasetException(where + ": 'records_per_part' must be positive, got " + perPart);
        JsonNode ps = field(n, "parts", where);
        if (!ps.isArray()) throw new DatasetException(where + ": 'parts' must be a list");
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            JsonNode p = ps.get(i);
            String key = "parts[" + i + "]";
            String file = text(p, "file", where + " " + key);
            if (file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                throw new DatasetException(where + ": " + key + ".file must be a plain file name, got '" + file + "'");
            }
            long recs = number(p, "records", where + " " + key);
            boolean last = i == ps.size() - 1;
            if (recs <= 0 || recs > perPart || (!last && recs != perPart)) {
                throw new DatasetException(where + ": " + key + " (" + file + ") holds " + recs
                        + " records; every part but the last must hold records_per_part = " + perPart);
            }
            parts.add(new Part(file, recs));
        }
        List<String> classes = new ArrayList<>();
        JsonNode cs = field(n, "classes", where);
        if (!cs.isArray()) throw new DatasetException(where + ": 'classes' must be a list of names");
        cs.forEach(c -> classes.add(c.asText()));
        Manifest m = new Manifest(shape, dtype, perPart, parts, classes,
                JSON.convertValue(object(n, "encoder", where), Map.class),
                JSON.convertValue(object(n, "preprocess", where), Map.class),
                JSON.convertValue(object(n, "source", where), Map.class),
                issues(n, "converted", where), issues(n, "rejected", where));
        long numRecords = number(n, "num_records", where);
        if (numRecords != m.numRecords) {
            throw new DatasetException(where + ": 'num_records' is " + numRecords + " but the parts hold " + m.numRecords);
        }
        long recordBytes = number(n, "record_bytes", where);
        if (recordBytes != m.recordBytes) {
            throw new DatasetException(where + ": 'record_bytes' is " + recordBytes + " but shape "
                    + java.util.Arrays.toString(shape) + " in " + dtype.manifestName() + " needs " + m.recordBytes);
        }
        long numClasses = number(n, "num_classes", where);
        if (numClasses != classes.size()) {
            throw new DatasetException(where + ": 'num_classes' is " + numClasses + " but 'classes' names " + classes.size());
        }
        return m;
    }

    private static Issues issues(JsonNode n, String key, String where) throws DatasetException {
        JsonNode o = object(n, key, where);
        long count = number(o, "count", where + " " + key);
        List<Issues.Entry> entries = new ArrayList<>();
        JsonNode first = o.get("first");
        if (first != null && first.isArray()) {
            first.forEach(e -> entries.add(new Issues.Entry(e.path("path").asText(), e.path("reason").asText())));
        }
        return Issues.of(count, entries);
    }

    private static JsonNode field(JsonNode n, String key, String where) throws DatasetException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) throw new DatasetException(where + ": missing key '" + key + "'");
        return v;
    }

    private static JsonNode object(JsonNode n, String key, String where) throws DatasetException {
        JsonNode v = field(n, key, where);
        if (!v.isObject()) throw new DatasetException(where + ": '" + key + "' must be an object, got " + v);
        return v;
    }

    private static String text(JsonNode n, String key, String where) throws DatasetException {
        JsonNode v = field(n, key, where);
        if (!v.isTextual()) throw new DatasetException(where + ": '" + key + "' must be a string, got " + v);
        return v.asText();
    }

    private static long number(JsonNode n, String key, String where) throws DatasetException {
        JsonNode v = field(n, key, where);
        if (!v.canConvertToLong() || !v.isIntegralNumber()) {
            throw new DatasetException(where + ": '" + key + "' must be an integer, got " + v);
        }
        return v.asLong();
    }
}
