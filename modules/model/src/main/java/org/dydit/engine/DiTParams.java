package org.dydit.engine;

import org.dydit.formats.DType;
import org.dydit.kernels.NdBuffer;
import org.dydit.formats.SafeTensors;
import org.dydit.formats.SafeTensorsWriter;
import org.dydit.formats.Tensor;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTKeys;
import org.dydit.model.NdTensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every trainable tensor of a DiT in ONE flat buffer, with a C-order view per original PyTorch key.
 *
 * <p>One flat buffer lets the optimizer, EMA, gradient norm and parameter averaging run as single loops, while
 * the engine works on the per-key views (a linear weight is its (out, in) view; the patch conv weight is viewed
 * as (D, C*p*p)). The same layout serves values, gradients, Adam moments and the EMA ({@link #like}).
 * The frozen {@code pos_embed} is not a parameter and is held by the engine.
 */
public final class DiTParams {
    private final DiTConfig config;
    private final DataType dtype;
    private final INDArray flat;
    private final LinkedHashMap<String, INDArray> views = new LinkedHashMap<>();
    private final LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();

    private DiTParams(DiTConfig config, DataType dtype, INDArray flat) {
        this.config = config;
        this.dtype = dtype;
        this.flat = flat;
        long off = 0;
        for (Map.Entry<String, long[]> e : DiTKeys.expected(config).entrySet()) {
            if (e.getKey().equals(DiTKeys.POS_EMBED)) continue;
            long[] shape = e.getValue();
            long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            long[] mat = shape.length == 4 ? new long[]{shape[0], shape[1] * shape[2] * shape[3]} : shape;
            long[] stride = cStrides(mat);
            INDArray v = n == 0 ? null : Nd4j.create(flat.data(), mat, stride, off, 'c');
            views.put(e.getKey(), v);
            shapes.put(e.getKey(), shape);
            off += n;
        }
        if (off != flat.length()) throw new IllegalStateException("parameter layout covers " + off + " of " + flat.length());
    }

    /** Zero-filled parameters of {@code config} in {@code dtype} (FLOAT or DOUBLE). */
    public static DiTParams zeros(DiTConfig config, DataType dtype) {
        long n = 0;
        for (Map.Entry<String, long[]> e : DiTKeys.expected(config).entrySet()) {
            if (!e.getKey().equals(DiTKeys.POS_EMBED)) n += Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
        }
        return new DiTParams(config, dtype, Nd4j.zeros(dtype, n));
    }

    /** Parameters holding {@code weights} (original keys; pos_embed and unknown router keys are ignored). */
    public static DiTParams of(DiTConfig config, Map<String, Tensor> weights, DataType dtype) {
        DiTParams p = zeros(config, dtype);
        p.load(weights);
        return p;
    }

    /** A zero-filled store with the same layout (gradients, moments). */
    public DiTParams like() {
        return new DiTParams(config, dtype, Nd4j.zeros(dtype, flat.length()));
    }

    /** Copies every key of this layout from {@code weights}; a missing key or a shape mismatch names the key. */
    public void load(Map<String, Tensor> weights) {
        for (String key : shapes.keySet()) {
            Tensor t = weights.get(key);
            if (t == null) throw new IllegalArgumentException("weights have no tensor '" + key + "'");
            set(key, t);
        }
    }

    /** Copies {@code t} into key {@code key}; an unknown key or a shape mismatch names the key. */
    public void set(String key, Tensor t) {
        long[] shape = shapes.get(key);
        if (shape == null) throw new IllegalArgumentException("no parameter '" + key + "'");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("tensor '" + key + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape));
        }
        INDArray v = views.get(key);
        if (v == null) return;
        INDArray a = NdTensors.toNd(t, dtype);
        v.assign(a.reshape('c', v.shape()));
        a.close();   // off-heap: freed now rather than at some later GC, so loading a large model does not pile them up
    }

    /**
     * Freshly initialised parameters ({@link DiTInit}, the same values as {@code DiTModel.init}), filled one key at
     * a time so that no state dict of the whole model is built on the heap.
     */
    public static DiTParams init(DiTConfig config, long seed, DataType dtype) {
        DiTParams p = zeros(config, dtype);
        DiTInit.forEach(config, seed, (key, t) -> {
            if (p.has(key)) p.set(key, t);
        });
        return p;
    }

    /**
     * Copies every key of this layout from {@code prefix + key} of {@code file}, one tensor at a time (a 2.7 GB store
     * is never held twice); a missing tensor or a shape mismatch names the file and the key.
     */
    public void load(SafeTensors file, String prefix) {
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            String name = prefix + e.getKey();
            if (!file.contains(name)) throw new IllegalArgumentException(file.path() + " has no tensor '" + name + "'");
            if (!Arrays.equals(file.shape(name), e.getValue())) {
                throw new IllegalArgumentException(file.path() + ": tensor '" + name + "' has shape "
                        + Arrays.toString(file.shape(name)) + ", expected " + Arrays.toString(e.getValue()));
            }
            set(e.getKey(), file.get(name));
        }
    }

    /**
     * Every key as a safetensors source that streams the values straight from the off-heap store (F32, or F64 for
     * double stores), in layout order: how checkpoints write stores without a heap copy.
     */
    public LinkedHashMap<String, SafeTensorsWriter.Source> sources() {
        LinkedHashMap<String, SafeTensorsWriter.Source> m = new LinkedHashMap<>();
        DType type = dtype == DataType.DOUBLE ? DType.F64 : DType.F32;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            INDArray v = views.get(e.getKey());
            long[] shape = e.getValue();
            m.put(e.getKey(), new SafeTensorsWriter.Source() {
                public DType dtype() { return type; }
                public long[] shape() { return shape; }
                public void writeTo(WritableByteChannel out) throws IOException {
                    if (v == null) return;
                    ByteBuffer b = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? NdBuffer.of(v).bytes().duplicate().rewind()
                            : ByteBuffer.wrap(NdTensors.toTensor(v).rawBytes());   // safetensors is little-endian
                    while (b.hasRemaining()) out.write(b);
                }
            });
        }
        return m;
    }

    /** The parameters as heap tensors (F32, or F64 for double stores) under their original keys and shapes. */
    public LinkedHashMap<String, Tensor> toTensors() {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            INDArray v = views.get(e.getKey());
            long[] shape = e.getValue();
            Tensor t;
            if (dtype == DataType.DOUBLE) t = Tensor.ofDoubles(shape, v == null ? new double[0] : v.dup('c').data().asDouble());
            else t = Tensor.ofFloats(shape, v == null ? new float[0] : v.dup('c').data().asFloat());
            m.put(e.getKey(), t);
        }
        return m;
    }

    /** The view of key {@code key}: (out, in) for linear weights, (out) for biases. */
    public INDArray get(String key) {
        INDArray v = views.get(key);
        if (v == null && !views.containsKey(key)) throw new IllegalArgumentException("no parameter '" + key + "'");
        return v;
    }

    public boolean has(String key) {
        return views.containsKey(key);
    }

    /** The original PyTorch shape of {@code key}. */
    public long[] shape(String key) {
        return shapes.get(key).clone();
    }

    public List<String> keys() {
        return Collections.unmodifiableList(new java.util.ArrayList<>(views.keySet()));
    }

    /** The flat buffer all views share. */
    public INDArray flat() {
        return flat;
    }

    public DiTConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    public long size() {
        return flat.length();
    }

    public void copyFrom(DiTParams other) {
        if (other.flat.length() != flat.length()) throw new IllegalArgumentException("parameter layouts differ");
        flat.assign(other.flat);
    }

    private static long[] cStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }
}
