package org.dydit.prep.encode;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** The encoders {@code --encoder NAME} can name. A VAE encoder registers itself here when it lands. */
public final class ImageEncoders {
    private ImageEncoders() {}

    private static final Map<String, Supplier<ImageEncoder>> KNOWN = new TreeMap<>();

    static {
        register("pixel", PixelEncoder::new);
    }

    public static synchronized void register(String name, Supplier<ImageEncoder> factory) {
        KNOWN.put(name, factory);
    }

    public static synchronized ImageEncoder byName(String name) {
        Supplier<ImageEncoder> f = KNOWN.get(name);
        if (f == null) {
            throw new IllegalArgumentException("unknown encoder '" + name + "' (available: " + String.join(", ", KNOWN.keySet()) + ")");
        }
        return f.get();
    }
}
