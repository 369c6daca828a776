package org.dydit.prep.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Small-image cases the golden photographs do not reach: BICUBIC enlargement (80x60 to 64) and odd
 * target sides, against crops PIL made of the same files (src/test/resources/convert/make_fixtures.py).
 */
class AdmCenterCropTest {

    @ParameterizedTest
    @CsvSource({"cmyk.jpg,64", "cmyk.jpg,37", "cmyk.jpg,20", "palette.png,64", "palette.gif,37", "gray.png,20",
            "gray_alpha.png,64", "rgba.png,37", "bilevel.png,64", "gray.jpg,20", "rgba.png,20"})
    void equalsPilBitForBit(String name, int size) throws IOException {
        RgbImages.Rgb img = RgbImages.decode(RgbImagesTest.resource(name));
        RgbImages.Rgb want = RgbImages.decode(RgbImagesTest.resource(name.replace('.', '_') + ".crop" + size + ".png"));
        assertEquals(size, want.width());
        assertEquals(size, want.height());
        assertArrayEquals(want.pixels(), AdmCenterCrop.crop(img.pixels(), img.width(), img.height(), size),
                name + " cropped to " + size);
    }

    @Test
    void mirrorReversesEachRow() {
        byte[] img = new byte[2 * 3 * 3];
        for (int i = 0; i < img.length; i++) img[i] = (byte) i;
        byte[] m = AdmCenterCrop.mirror(img, 3, 2, 3);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                for (int c = 0; c < 3; c++) assertEquals(img[(y * 3 + x) * 3 + c], m[(y * 3 + 2 - x) * 3 + c]);
            }
        }
        assertArrayEquals(img, AdmCenterCrop.mirror(m, 3, 2, 3));
    }
}
