package org.dydit.prep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options, checked against what a command accepts. */
final class Args {
    /** A command line that cannot be run; the message says what to fix. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, String> values = new LinkedHashMap<>();

    Args(List<String> args, Set<String> valued, Set<String> flags) throws UsageException {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (flags.contains(name) && value == null) {
                values.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                        throw new UsageException(name + " needs a value");
                    }
                    value = args.get(++i);
                }
                if (values.containsKey(name)) throw new UsageException(name + " given twice");
                values.put(name, value);
            } else {
                List<String> known = new ArrayList<>(valued);
                known.addAll(flags);
                known.sort(null);
                throw new UsageException("unknown option '" + a + "' (options: " + String.join(" ", known) + ")");
            }
        }
    }

    String get(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    String required(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) throw new UsageException("missing " + name);
        return v;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    int integer(String name, int dflt, int min) throws UsageException {
        String v = values.get(name);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v);
            if (n < min) throw new UsageException(name + " must be at least " + min + ", got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(name + " must be an integer, got '" + v + "'");
        }
    }

    String choice(String name, String dflt, String... allowed) throws UsageException {
        String v = get(name, dflt);
        for (String a : allowed) if (a.equals(v)) return v;
        throw new UsageException(name + " must be one of " + String.join("|", allowed) + ", got '" + v + "'");
    }
}
