package org.dydit.kernels;

import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;

/**
 * {@code c = a w} into preallocated outputs through the backend's matmul op (oneDNN in the {@code onednn-avx512}
 * build), with one native op context kept per (a, w, c). {@code Nd4j.gemm} builds, fills and frees a context on
 * every call, 35-55 µs here against about 6 µs for a kept one (the same op and arguments, so the same result bits);
 * a DiT-S/2 forward makes about 50 calls, and the narrow calls of a dynamic forward feel it most. Arrays are matched
 * by identity: the engine keeps its views and weights, so the same triples recur every forward. Not thread-safe.
 */
final class MatmulCalls implements AutoCloseable {
    /** Distinct triples kept at most (SDT's kept-row counts vary per layer and step); then all are dropped. */
    private static final int MAX_CONTEXTS = 4096;

    private final Mmul template;
    private final HashMap<Key, OpContext> contexts = new HashMap<>();

    MatmulCalls() {
        // the op only supplies its native hash and arguments (no transposes, alpha 1, beta 0); each context names
        // the arrays
        INDArray one = Nd4j.create(DataType.FLOAT, 1, 1);
        template = new Mmul(one, one, one, 1.0, 0.0, MMulTranspose.allFalse());
    }

    void run(INDArray a, INDArray w, INDArray c) {
        Key k = new Key(a, w, c);
        OpContext ctx = contexts.get(k);
        if (ctx == null) {
            if (contexts.size() >= MAX_CONTEXTS) clear();
            ctx = Nd4j.getExecutioner().buildContext();
            ctx.setInputArray(0, a);
            ctx.setInputArray(1, w);
            ctx.setOutputArray(0, c);
            ctx.setIArguments(template.iArgs());
            ctx.setTArguments(template.tArgs());
            contexts.put(k, ctx);
        }
        Nd4j.getExecutioner().exec(template, ctx);
    }

    int size() {
        return contexts.size();
    }

    private void clear() {
        for (OpContext ctx : contexts.values()) closeQuietly(ctx);
        contexts.clear();
    }

    private static void closeQuietly(OpContext ctx) {
        try {
            ctx.close();
        } catch (Exception e) {
            // a native context that fails to close leaks a few bytes; nothing to recover
        }
    }

    /** Frees every kept context; the object stays usable (the next calls build new ones). */
    @Override
    public void close() {
        clear();
    }

    /** Three arrays compared by identity. */
    private static final class Key {
        final INDArray a, w, c;
        final int hash;

        Key(INDArray a, INDArray w, INDArray c) {
            this.a = a;
            this.w = w;
            this.c = c;
            this.hash = (System.identityHashCode(a) * 31 + System.identityHashCode(w)) * 31 + System.identityHashCode(c);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.a == a && k.w == w && k.c == c;
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
