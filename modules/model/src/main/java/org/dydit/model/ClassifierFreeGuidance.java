package org.dydit.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Classifier-free guidance exactly as DiT's {@code forward_with_cfg}: the batch is [cond; uncond] over the same
 * latents, and {@code eps = uncond + s (cond - uncond)} replaces the first 3 output channels of both halves
 * (the reference guides only {@code [:, :3]} "for exact reproducibility"); every other channel keeps its own
 * half's value.
 */
public final class ClassifierFreeGuidance {
    private ClassifierFreeGuidance() {}

    /** Output channels the reference guides: its literal {@code 3}, capped by the channel count. */
    public static final int GUIDED_CHANNELS = 3;

    /** The model input of a guided step: the first half of {@code x} twice, as the reference builds it. */
    public static INDArray duplicateFirstHalf(INDArray x) {
        long n = evenBatch(x);
        INDArray half = x.get(NDArrayIndex.interval(0, n / 2)).dup('c');
        return org.nd4j.linalg.factory.Nd4j.concat(0, half, half);
    }

    /** Applies guidance in place to a model output of shape (2n, C', H, W) and returns it. */
    public static INDArray combine(INDArray out, double scale) {
        long n = evenBatch(out);
        long h = n / 2;
        long g = Math.min(GUIDED_CHANNELS, out.size(1));
        INDArray cond = out.get(NDArrayIndex.interval(0, h), NDArrayIndex.interval(0, g));
        INDArray uncond = out.get(NDArrayIndex.interval(h, n), NDArrayIndex.interval(0, g));
        INDArray guided = cond.sub(uncond).muli(scale).addi(uncond);
        INDArrayIndex[] first = {NDArrayIndex.interval(0, h), NDArrayIndex.interval(0, g)};
        INDArrayIndex[] second = {NDArrayIndex.interval(h, n), NDArrayIndex.interval(0, g)};
        out.put(first, guided);
        out.put(second, guided);
        return out;
    }

    private static long evenBatch(INDArray a) {
        long n = a.size(0);
        if (n % 2 != 0 || n == 0) {
            throw new IllegalArgumentException("classifier-free guidance needs an even batch [cond; uncond], got " + n);
        }
        return n;
    }
}
