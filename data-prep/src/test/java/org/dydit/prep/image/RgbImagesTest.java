package org.dydit.prep.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Mode conversion against PIL: each fixture in src/test/resources/convert sits beside PIL's own
 * {@code convert("RGB")} of it (made by make_fixtures.py there), and the decoded pixels must be equal.
 */
class RgbImagesTest {

    static byte[] resource(String name) throws IOException {
        try (InputStream in = RgbImagesTest.class.getResourceAsStream("/convert/" + name)) {
            assertNotNull(in, "test resource convert/" + name);
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gray.png", "gray_alpha.png", "rgba.png", "palette.png", "palette.gif", "bilevel.png",
            "cmyk.jpg", "gray.jpg"})
    void convertsLikePil(String name) throws IOException {
        RgbImages.Rgb got = RgbImages.decode(resource(name));
        String expectedName = name.replace('.', '_') + ".expected.png";
        RgbImages.Rgb want = RgbImages.decode(resource(expectedName));
        assertNull(want.conversion(), expectedName + " is plain RGB");
        assertNotNull(got.conversion(), name + " is not RGB, so it must be reported as converted");
        assertEquals(want.width(), got.width());
        assertEquals(want.height(), got.height());
        int differ = 0;
        for (int i = 0; i < got.pixels().length; i++) if (got.pixels()[i] != want.pixels()[i]) differ++;
        assertEquals(0, differ, name + " (" + got.conversion() + "): values differing from PIL's convert(\"RGB\")");
    }

    @Test
    void truncatedAndGarbageFilesAreRejectedWithAReason() throws IOException {
        byte[] jpg = resource("gray.jpg");
        byte[] png = resource("rgba.png");
        for (byte[] bad : new byte[][] {
                Arrays.copyOf(png, png.length / 2),
                Arrays.copyOf(jpg, 200),
                Arrays.copyOf(jpg, jpg.length / 2),          // ImageIO would fill the missing half grey
                Arrays.copyOf(jpg, jpg.length - 2),          // only the end-of-image marker missing
                Arrays.copyOf(resource("cmyk.jpg"), resource("cmyk.jpg").length / 2),
                "this is not an image".getBytes(),
                new byte[0]}) {
            RgbImages.UnreadableImageException e = assertThrows(RgbImages.UnreadableImageException.class,
                    () -> RgbImages.decode(bad));
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
        }
    }
}
