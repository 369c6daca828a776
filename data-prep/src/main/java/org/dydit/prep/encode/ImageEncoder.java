package org.dydit.prep.encode;

import java.io.IOException;
import java.io.Serializable;
import java.util.Map;

/**
 * Turns a cropped RGB image into the tensor a dataset stores: pixels for small experiments, VAE latents
 * for DiT. One {@link Session} per Spark task holds whatever is costly to load (a VAE's weights).
 */
public interface ImageEncoder extends Serializable {
    /** The manifest's {@code "encoder"} object, e.g. {@code {"type": "pixel"}}. */
    Map<String, Object> describe();

    /** The stored [C, H, W] for crops of {@code size x size}. */
    int[] shape(int size);

    Session open() throws IOException;

    interface Session extends AutoCloseable {
        /**
         * Encodes one crop.
         *
         * @param rgbHwc {@code size*size*3} bytes, row-major HWC
         * @param seed   a value fixed by the image's place in the input, for encoders that sample noise,
         *               so that output stays byte-identical whatever the partitioning
         */
        float[] encode(byte[] rgbHwc, int size, long seed) throws IOException;

        @Override
        default void close() throws IOException {}
    }
}
