package org.dydit.prep.encode;

import java.util.LinkedHashMap;
import java.util.Map;

/** Stores the RGB crop itself as 3×S×S in [-1, 1]: x/127.5 − 1, as ToTensor then Normalize(0.5, 0.5). */
public final class PixelEncoder implements ImageEncoder {
    private static final long serialVersionUID = 1L;

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "pixel");
        m.put("scale", "x/127.5-1");
        return m;
    }

    @Override
    public int[] shape(int size) {
        return new int[] {3, size, size};
    }

    @Override
    public Session open() {
        return (rgb, size, seed) -> {
            int plane = size * size;
            if (rgb.length != plane * 3) {
                throw new IllegalArgumentException("crop has " + rgb.length + " bytes, expected " + plane * 3);
            }
            float[] out = new float[3 * plane];
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < 3; c++) out[c * plane + i] = toUnit(rgb[3 * i + c] & 0xFF);
            }
            return out;
        };
    }

    /** A uint8 level in [-1, 1], rounded once from the exact value. */
    public static float toUnit(int level) {
        return (float) (level / 127.5 - 1.0);
    }
}
