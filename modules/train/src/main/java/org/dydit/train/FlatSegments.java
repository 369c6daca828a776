package org.dydit.train;

import org.dydit.kernels.NdBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A flat parameter store walked in segments: one {@link NdBuffer} (one {@code ByteBuffer}) addresses fewer than 2^31
 * bytes, and DiT-XL/2's 675M float32 parameters take 2.7 GB. Segments hold {@code size} elements each (the last one
 * the rest); {@code size} is a multiple of 64, so every vector loop covers the same elements as one loop over the
 * whole store would, and element-wise results do not depend on the segment size.
 */
final class FlatSegments {
    /** Bytes per segment: 1 GiB, well inside a {@code ByteBuffer}'s int index for float32 and float64. */
    static final long BYTES = 1L << 30;

    final long length, size;

    /** Segments of {@code size} elements over {@code length} elements. */
    FlatSegments(long length, long size) {
        if (length < 0) throw new IllegalArgumentException("negative length " + length);
        if (size <= 0 || size % 64 != 0) throw new IllegalArgumentException("segment size must be a positive multiple of 64, got " + size);
        this.length = length;
        this.size = size;
    }

    /** The default segments of {@code flat}: {@link #BYTES} per segment. */
    static FlatSegments of(INDArray flat) {
        return new FlatSegments(flat.length(), BYTES / flat.dataType().width());
    }

    int count() {
        return (int) ((length + size - 1) / size);
    }

    long start(int k) {
        return k * size;
    }

    int length(int k) {
        return (int) Math.min(size, length - start(k));
    }

    /** The segment holding element {@code i}. */
    int segmentOf(long i) {
        return (int) (i / size);
    }

    /** Element {@code from} of chunk {@code c} of {@code chunks} equal chunks (the norm's fixed summation order). */
    static long chunkStart(long length, int c, int chunks) {
        return Math.multiplyExact(length, (long) c) / chunks;
    }

    /** Kernel views of every segment of {@code flat} (which must have {@link #length} elements). */
    NdBuffer[] bufs(INDArray flat) {
        if (flat.length() != length) throw new IllegalArgumentException("store has " + flat.length() + " elements, segments cover " + length);
        if (size * flat.dataType().width() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segments of " + size + " " + flat.dataType() + " elements exceed one buffer");
        }
        NdBuffer[] b = new NdBuffer[count()];
        for (int k = 0; k < b.length; k++) {
            b[k] = NdBuffer.of(Nd4j.create(flat.data(), new long[]{length(k)}, new long[]{1}, start(k), 'c'));
        }
        return b;
    }
}
