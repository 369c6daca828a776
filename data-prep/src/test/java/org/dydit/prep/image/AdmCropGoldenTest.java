package org.dydit.prep.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.Tensor;
import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;

/**
 * The ADM centre crop against the reference (PIL) crops of real photographs: every pixel within one level.
 * The fixture's metadata names the source files (Debian's mate-backgrounds), their hashes, sizes and modes.
 */
class AdmCropGoldenTest {

    @Test
    void cropsMatchPilWithinOneLevel() throws Exception {
        Path file = Golden.path("preprocess/adm_crop.safetensors");
        try (SafeTensors st = SafeTensors.open(file)) {
            Tensor crops = st.get("crops");
            long[] shape = crops.shape();
            assertEquals(4, shape.length, "crops must be (N, S, S, 3)");
            int n = (int) shape[0];
            int size = Integer.parseInt(st.metadata().get("image_size"));
            assertEquals(size, shape[1]);
            assertEquals(size, shape[2]);
            assertEquals(3, shape[3]);
            JsonNode sources = new ObjectMapper().readTree(st.metadata().get("sources"));
            assertEquals(n, sources.size(), "one source per crop");
            byte[] expectedAll = crops.rawBytes();
            int per = size * size * 3;
            for (int i = 0; i < n; i++) {
                JsonNode src = sources.get(i);
                Path img = Path.of(src.get("path").asText());
                if (!Files.exists(img)) {
                    fail(img + " is missing: install Debian's " + st.metadata().getOrDefault("package", "mate-backgrounds") + " package");
                }
                byte[] bytes = Files.readAllBytes(img);
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                assertEquals(src.get("sha256").asText(), sha, img + ": not the file the fixture was made from");
                RgbImages.Rgb rgb = RgbImages.decode(bytes);
                assertEquals(src.get("size").get(0).asInt(), rgb.width(), img + " width");
                assertEquals(src.get("size").get(1).asInt(), rgb.height(), img + " height");
                assertEquals(!src.get("mode").asText().equals("RGB"), rgb.conversion() != null,
                        img + ": mode " + src.get("mode").asText() + " but conversion " + rgb.conversion());
                byte[] got = AdmCenterCrop.crop(rgb.pixels(), rgb.width(), rgb.height(), size);
                int worst = 0;
                int off = 0;
                for (int k = 0; k < per; k++) {
                    int d = Math.abs((got[k] & 0xFF) - (expectedAll[i * per + k] & 0xFF));
                    if (d > 1) off++;
                    worst = Math.max(worst, d);
                }
                assertTrue(worst <= 1, img + ": " + off + " values differ by more than 1 level (worst " + worst + ")");
            }
        }
    }
}
