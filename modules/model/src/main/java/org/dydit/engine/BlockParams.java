package org.dydit.engine;

import org.dydit.model.DiTKeys;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Views of one block's tensors in a {@link DiTParams} store (values or gradients). Held per block so that later
 * width slicing can take row/column sub-views of exactly these weights.
 */
public record BlockParams(INDArray qkvW, INDArray qkvB, INDArray projW, INDArray projB,
                          INDArray fc1W, INDArray fc1B, INDArray fc2W, INDArray fc2B,
                          INDArray adaW, INDArray adaB) {

    public static BlockParams of(DiTParams p, int i) {
        return new BlockParams(
                p.get(DiTKeys.qkv(i) + ".weight"), p.get(DiTKeys.qkv(i) + ".bias"),
                p.get(DiTKeys.proj(i) + ".weight"), p.get(DiTKeys.proj(i) + ".bias"),
                p.get(DiTKeys.fc1(i) + ".weight"), p.get(DiTKeys.fc1(i) + ".bias"),
                p.get(DiTKeys.fc2(i) + ".weight"), p.get(DiTKeys.fc2(i) + ".bias"),
                p.get(DiTKeys.adaLN(i) + ".weight"), p.get(DiTKeys.adaLN(i) + ".bias"));
    }
}
