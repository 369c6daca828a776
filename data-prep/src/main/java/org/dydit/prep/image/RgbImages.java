package org.dydit.prep.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.metadata.IIOMetadata;
import org.w3c.dom.Node;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes an image file to 8-bit interleaved RGB the way PIL's {@code Image.open(f).convert("RGB")}
 * does: alpha is dropped (no compositing over a background), grey is replicated, palettes are looked
 * up, CMYK uses PIL's plain formula {@code (255-c)(255-k)/255} rather than an ICC conversion.
 */
public final class RgbImages {
    private RgbImages() {}

    static {
        // Spark executors may load this class from a class loader ImageIO's registry did not scan.
        ImageIO.scanForPlugins();
    }

    /** A decoded RGB image; {@code conversion} is null when the source already was 8-bit RGB. */
    public record Rgb(byte[] pixels, int width, int height, String conversion) {}

    /** Thrown when the bytes are not a readable image; the message says why. */
    public static final class UnreadableImageException extends IOException {
        public UnreadableImageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Larger images are refused before decoding: twice PIL's decompression-bomb limit. */
    public static final long MAX_PIXELS = 2L * 89_478_485;

    /** Decodes an image file's bytes; the exception's message says why it cannot be used. */
    public static Rgb decode(byte[] data) throws UnreadableImageException {
        // A memory-backed stream: ImageIO's default would spill every file to a temporary file first.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new UnreadableImageException("not a supported image format", null);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new UnreadableImageException(reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " pixels, more than the " + MAX_PIXELS + " accepted (a decompression bomb?)", null);
                }
                ImageReadParam param = reader.getDefaultReadParam();
                ImageTypeSpecifier cmyk = cmykType(reader);
                if (cmyk != null) {
                    // Ask for the raw CMYK samples; the default would convert through an ICC profile.
                    param.setDestinationType(cmyk);
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage img = reader.read(0, param);
                if (img == null) throw new UnreadableImageException("decoder returned no image", null);
                for (String w : warnings) {
                    // A JPEG cut short only earns a warning here (the rest is filled grey); PIL refuses it
                    // ("image file is truncated"), and a training set must not hold half-grey photographs.
                    if (w != null && (w.contains("Truncated File") || w.contains("Missing EOI")
                            || w.contains("Premature end of JPEG file"))) {
                        throw new UnreadableImageException("corrupt or truncated image: " + w, null);
                    }
                }
                if (cmyk != null && hasAdobeMarker(reader)) {
                    // Adobe CMYK JPEGs store inverted inks; PIL reads them as "CMYK;I" and so undoes that.
                    invert(img.getRaster());
                }
                return toRgb(img);
            } finally {
                reader.dispose();
            }
        } catch (UnreadableImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ImageIO reports truncated or corrupt data with IIOException, and some plugins with
            // IndexOutOfBounds or similar; both mean the file cannot be used.
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new UnreadableImageException("corrupt or truncated image: " + why, e);
        }
    }

    private static ImageTypeSpecifier cmykType(ImageReader reader) throws IOException {
        if (!reader.getFormatName().equalsIgnoreCase("jpeg")) return null;
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        while (types.hasNext()) {
            ImageTypeSpecifier t = types.next();
            if (t.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_CMYK) return t;
        }
        return null;
    }

    private static boolean hasAdobeMarker(ImageReader reader) throws IOException {
        IIOMetadata md = reader.getImageMetadata(0);
        if (md == null) return false;
        for (String format : new String[] {md.getNativeMetadataFormatName(), "javax_imageio_jpeg_image_1.0"}) {
            if (format == null) continue;
            try {
                return findNode(md.getAsTree(format), "app14Adobe");
            } catch (IllegalArgumentException unsupported) {
                // try the next format name
            }
        }
        return false;
    }

    private static boolean findNode(Node n, String name) {
        if (name.equals(n.getNodeName())) return true;
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (findNode(c, name)) return true;
        }
        return false;
    }

    private static void invert(WritableRaster r) {
        int w = r.getWidth();
        int h = r.getHeight();
        int[] row = null;
        for (int y = 0; y < h; y++) {
            row = r.getPixels(0, y, w, 1, row);
            for (int i = 0; i < row.length; i++) row[i] = 255 - row[i];
            r.setPixels(0, y, w, 1, row);
        }
    }

    /** Converts any decoded image to interleaved RGB from its raw samples (no colour management). */
    public static Rgb toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        if (cm.isAlphaPremultiplied()) {
            img.coerceData(false);
            cm = img.getColorModel();
        }
        Raster r = img.getRaster();
        byte[] out = new byte[w * h * 3];
        if (cm instanceof IndexColorModel icm) {
            int[] idx = r.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < idx.length; i++) {
                int p = idx[i];
                out[3 * i] = (byte) icm.getRed(p);
                out[3 * i + 1] = (byte) icm.getGreen(p);
                out[3 * i + 2] = (byte) icm.getBlue(p);
            }
            String mode = icm.getMapSize() <= 2 && icm.getPixelSize() == 1 ? "1" : "P";
            return new Rgb(out, w, h, "mode " + mode + " to RGB");
        }
        int colours = cm.getNumColorComponents();
        int csType = cm.getColorSpace().getType();
        boolean alpha = cm.hasAlpha();
        int bits = r.getSampleModel().getSampleSize(0);
        String depth = bits == 8 ? "" : " (" + bits + "-bit samples)";
        if (csType == ColorSpace.TYPE_RGB && colours == 3) {
            for (int b = 0; b < 3; b++) copyBand(r, b, w, h, out, b, 3);
            String conv = alpha || bits != 8 ? "mode " + (alpha ? "RGBA" : "RGB") + depth + " to RGB" : null;
            return new Rgb(out, w, h, conv);
        }
        if (csType == ColorSpace.TYPE_GRAY && colours == 1) {
            for (int b = 0; b < 3; b++) copyBand(r, 0, w, h, out, b, 3);
            return new Rgb(out, w, h, "mode " + (alpha ? "LA" : "L") + depth + " to RGB");
        }
        if (csType == ColorSpace.TYPE_CMYK && colours == 4) {
            byte[] k = new byte[w * h];
            copyBand(r, 3, w, h, k, 0, 1);
            for (int b = 0; b < 3; b++) {
                copyBand(r, b, w, h, out, b, 3);
            }
            for (int i = 0; i < w * h; i++) {
                int nk = 255 - (k[i] & 0xFF);
                for (int b = 0; b < 3; b++) {
                    int c = out[3 * i + b] & 0xFF;
                    out[3 * i + b] = (byte) (nk - mulDiv255(c, nk));
                }
            }
            return new Rgb(out, w, h, "mode CMYK to RGB");
        }
        // Anything else (YCbCr TIFFs, exotic ICC spaces): let Java convert to sRGB.
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            out[3 * i] = (byte) (argb[i] >> 16);
            out[3 * i + 1] = (byte) (argb[i] >> 8);
            out[3 * i + 2] = (byte) argb[i];
        }
        return new Rgb(out, w, h, "colour space type " + csType + " converted to sRGB");
    }

    /** PIL's rounded a*b/255 for 8-bit values. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    /** Copies one band to an interleaved byte buffer, reducing or widening samples to 8 bits as PIL does. */
    private static void copyBand(Raster r, int band, int w, int h, byte[] out, int offset, int stride) {
        int bits = r.getSampleModel().getSampleSize(band);
        int[] s = r.getSamples(0, 0, w, h, band, (int[]) null);
        for (int i = 0; i < s.length; i++) {
            int v = s[i];
            if (bits > 8) {
                v >>>= bits - 8;           // PIL keeps the high byte of 16-bit samples
            } else if (bits < 8) {
                v = v * 255 / ((1 << bits) - 1);   // 1/2/4-bit grey is stretched to 0..255
            }
            out[offset + i * stride] = (byte) v;
        }
    }
}
