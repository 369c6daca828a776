package org.dydit.model;

import org.dydit.formats.DType;
import org.dydit.formats.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/** Copies between the formats module's heap tensors and ND4J arrays (both row-major). */
public final class NdTensors {
    private NdTensors() {}

    /** A C-order ND4J array of {@code t}'s values in {@code type} (F16/BF16 are decoded through float). */
    public static INDArray toNd(Tensor t, DataType type) {
        long[] shape = t.shape();
        INDArray a;
        switch (t.dtype()) {
            case F64 -> a = Nd4j.create(t.toDoubles(), shape, 'c');
            case I64, I32, I16, I8, U8, BOOL -> a = Nd4j.createFromArray(t.toLongs()).reshape('c', shape);
            default -> a = Nd4j.create(t.toFloats(), shape, 'c');
        }
        return a.dataType() == type ? a : a.castTo(type);
    }

    public static Map<String, INDArray> toNd(Map<String, Tensor> tensors, DataType type) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        tensors.forEach((k, v) -> m.put(k, toNd(v, type)));
        return m;
    }

    /** A heap tensor of the array's values: F64 for double arrays, I64 for integer ones, F32 otherwise. */
    public static Tensor toTensor(INDArray a) {
        INDArray c = a.isView() || a.ordering() != 'c' ? a.dup('c') : a;
        long[] shape = a.shape();
        if (a.dataType() == DataType.DOUBLE) return Tensor.ofDoubles(shape, c.data().asDouble());
        if (!a.dataType().isFPType()) return Tensor.ofLongs(shape, c.data().asLong());
        float[] f = c.dataType() == DataType.FLOAT ? c.data().asFloat() : c.castTo(DataType.FLOAT).data().asFloat();
        return Tensor.ofFloats(shape, f);
    }

    /** The tensor's values as F32 (the dtype model files are written in). */
    public static Tensor asF32(Tensor t) {
        return t.dtype() == DType.F32 ? t : t.cast(DType.F32);
    }
}
