package org.dydit.prep.dataset;

import java.io.Serializable;

/** One training example: a class label and its C×H×W tensor (row-major). */
public record LabeledTensor(int label, float[] tensor) implements Serializable {}
