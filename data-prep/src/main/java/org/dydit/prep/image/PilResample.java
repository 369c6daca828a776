package org.dydit.prep.image;

/**
 * A port of Pillow's resampling ({@code Image.resize} with {@code BOX} or {@code BICUBIC}) for 8-bit
 * images, so that crops match the reference preprocessing to within one level.
 *
 * <p>What must match Pillow: two separable passes, horizontal then vertical, each rounding and clipping
 * to uint8; per output pixel, filter weights over a support scaled by the reduction factor, normalised
 * to sum 1 in double, then converted to fixed point with 22 fraction bits (rounded away from zero).
 */
public final class PilResample {
    private PilResample() {}

    /** Pillow's filters: the support and the kernel. */
    public enum Filter {
        /** Each output pixel averages the input pixels its area covers. */
        BOX(0.5) {
            @Override double weight(double x) {
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            }
        },
        /** Keys' cubic convolution with a = -0.5, as Pillow uses. */
        BICUBIC(2.0) {
            @Override double weight(double x) {
                final double a = -0.5;
                x = Math.abs(x);
                if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
                return 0.0;
            }
        };

        final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** Fixed-point weights of one pass: for output i, {@code kk[i*ksize .. +count[i]]} apply from {@code first[i]}. */
    private record Coefficients(int ksize, int[] first, int[] count, int[] kk) {}

    private static Coefficients coefficients(int inSize, int outSize, Filter filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        int[] kk = new int[outSize * ksize];
        double[] w = new double[ksize];
        double ss = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            // (int) truncates toward zero, as C's cast does in Pillow.
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                w[x] = filter.weight((x + xmin - center + 0.5) * ss);
                sum += w[x];
            }
            for (int x = 0; x < xmax; x++) {
                double v = sum != 0.0 ? w[x] / sum : w[x];
                kk[xx * ksize + x] = v < 0
                        ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                        : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(ksize, first, count, kk);
    }

    private static int clip8(long acc) {
        long v = acc >> PRECISION_BITS;
        return v < 0 ? 0 : v > 255 ? 255 : (int) v;
    }

    /**
     * Resizes an interleaved 8-bit image (row-major, {@code channels} bytes per pixel) as Pillow's
     * {@code resize((outW, outH), filter)} does with no box and no reducing gap.
     */
    public static byte[] resize(byte[] src, int width, int height, int channels, int outW, int outH, Filter filter) {
        if (src.length != (long) width * height * channels) {
            throw new IllegalArgumentException("image buffer holds " + src.length + " bytes, expected "
                    + width + "x" + height + "x" + channels);
        }
        if (outW <= 0 || outH <= 0) {
            throw new IllegalArgumentException("output size must be positive: " + outW + "x" + outH);
        }
        byte[] cur = src;
        int curW = width;
        if (outW != width) {
            cur = horizontal(cur, width, height, channels, outW, coefficients(width, outW, filter));
            curW = outW;
        }
        if (outH != height) {
            cur = vertical(cur, curW, height, channels, outH, coefficients(height, outH, filter));
        }
        return cur == src ? src.clone() : cur;
    }

    private static byte[] horizontal(byte[] src, int w, int h, int c, int outW, Coefficients k) {
        byte[] out = new byte[outW * h * c];
        long half = 1L << (PRECISION_BITS - 1);
        for (int y = 0; y < h; y++) {
            int rowIn = y * w * c;
            int rowOut = y * outW * c;
            for (int xx = 0; xx < outW; xx++) {
                int base = xx * k.ksize;
                int x0 = k.first[xx];
                int n = k.count[xx];
                for (int ch = 0; ch < c; ch++) {
                    long acc = half;
                    int p = rowIn + x0 * c + ch;
                    for (int x = 0; x < n; x++, p += c) {
                        acc += (src[p] & 0xFF) * (long) k.kk[base + x];
                    }
                    out[rowOut + xx * c + ch] = (byte) clip8(acc);
                }
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] src, int w, int h, int c, int outH, Coefficients k) {
        byte[] out = new byte[w * outH * c];
        long half = 1L << (PRECISION_BITS - 1);
        int stride = w * c;
        for (int yy = 0; yy < outH; yy++) {
            int base = yy * k.ksize;
            int y0 = k.first[yy];
            int n = k.count[yy];
            int rowOut = yy * stride;
            for (int i = 0; i < stride; i++) {
                long acc = half;
                int p = y0 * stride + i;
                for (int y = 0; y < n; y++, p += stride) {
                    acc += (src[p] & 0xFF) * (long) k.kk[base + y];
                }
                out[rowOut + i] = (byte) clip8(acc);
            }
        }
        return out;
    }
}
