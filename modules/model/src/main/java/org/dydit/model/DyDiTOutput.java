package org.dydit.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A dynamic forward's result, laid out as the reference returns it: {@code out} (B, 2C, H, W), {@code attnMask}
 * and {@code mlpMask} (B, L, H) with head / group 0 on, {@code tokenMask} (B, L, T, 1); masks hold exact 0/1.
 */
public record DyDiTOutput(INDArray out, INDArray attnMask, INDArray mlpMask, INDArray tokenMask) {}
