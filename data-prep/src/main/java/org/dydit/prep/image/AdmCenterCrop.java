package org.dydit.prep.image;

/**
 * The ADM centre crop used by DiT and DyDiT (guided-diffusion's {@code center_crop_arr}): BOX halvings
 * while the short side is at least twice the target, a BICUBIC resize of the short side to the target,
 * then the centre square.
 */
public final class AdmCenterCrop {
    private AdmCenterCrop() {}

    /**
     * Crops an interleaved RGB image ({@code width*height*3} bytes, row-major) to {@code size x size}.
     *
     * @return {@code size*size*3} bytes, HWC
     */
    public static byte[] crop(byte[] rgb, int width, int height, int size) {
        if (size <= 0) throw new IllegalArgumentException("crop size must be positive: " + size);
        byte[] img = rgb;
        int w = width;
        int h = height;
        while (Math.min(w, h) >= 2 * size) {
            img = PilResample.resize(img, w, h, 3, w / 2, h / 2, PilResample.Filter.BOX);
            w /= 2;
            h /= 2;
        }
        double scale = (double) size / Math.min(w, h);
        // Python's round() rounds halves to even, as Math.rint does.
        int nw = (int) Math.rint(w * scale);
        int nh = (int) Math.rint(h * scale);
        if (nw != w || nh != h) {
            img = PilResample.resize(img, w, h, 3, nw, nh, PilResample.Filter.BICUBIC);
        }
        w = nw;
        h = nh;
        int top = (h - size) / 2;
        int left = (w - size) / 2;
        byte[] out = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            System.arraycopy(img, ((top + y) * w + left) * 3, out, y * size * 3, size * 3);
        }
        return out;
    }

    /** Mirrors an interleaved HWC image left-right, as a horizontal flip of the crop does. */
    public static byte[] mirror(byte[] hwc, int width, int height, int channels) {
        byte[] out = new byte[hwc.length];
        for (int y = 0; y < height; y++) {
            int row = y * width * channels;
            for (int x = 0; x < width; x++) {
                System.arraycopy(hwc, row + x * channels, out, row + (width - 1 - x) * channels, channels);
            }
        }
        return out;
    }
}
