package org.dydit.formats;

import java.util.Arrays;

/** An array's dtype and shape, read from a header without reading the data. */
public final class ArrayInfo {
    private final DType dtype;
    private final long[] shape;

    ArrayInfo(DType dtype, long[] shape) {
        this.dtype = dtype;
        this.shape = shape.clone();
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return Tensor.numel(shape);
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
