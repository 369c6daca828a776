package org.dydit.model;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The reference (SameDiff) evaluation forward of a DyDiT model: routers decide with {@code logit > 0}, and the
 * masks come back with the output. {@link #complete} runs the same weights with every router bypassed.
 */
public final class DyDiTForward {
    private final DiTModel model;
    private SameDiff dynamic;

    public DyDiTForward(DiTModel model) {
        DyDiTGraph.requireDynamic(model.config());
        this.model = model;
    }

    public DiTModel model() {
        return model;
    }

    public DiTConfig config() {
        return model.config();
    }

    /** The dynamic forward of x (B,C,H,W), t (B) original timesteps, y (B) labels. */
    public synchronized DyDiTOutput forward(INDArray x, INDArray t, INDArray y) {
        check(x, t, y);
        if (dynamic == null) {
            dynamic = DyDiTGraph.build(model.config(), model.weightArrays(DataType.FLOAT), DataType.FLOAT, false,
                    DyDiTGraph.Mode.EVAL);
        }
        Map<String, INDArray> ph = new LinkedHashMap<>();
        ph.put(DiTGraph.X, x.castTo(DataType.FLOAT));
        ph.put(DiTGraph.T, t.reshape(t.length()).castTo(DataType.FLOAT));
        ph.put(DiTGraph.Y, y.reshape(y.length()).castTo(DataType.INT64));
        Map<String, INDArray> r = dynamic.output(ph, DiTGraph.OUT, DyDiTGraph.ATTN_MASK, DyDiTGraph.MLP_MASK,
                DyDiTGraph.TOKEN_MASK);
        return new DyDiTOutput(r.get(DiTGraph.OUT), r.get(DyDiTGraph.ATTN_MASK), r.get(DyDiTGraph.MLP_MASK),
                r.get(DyDiTGraph.TOKEN_MASK));
    }

    private void check(INDArray x, INDArray t, INDArray y) {
        DiTConfig c = model.config();
        if (x.rank() != 4 || x.size(1) != c.inChannels() || x.size(2) != c.inputSize() || x.size(3) != c.inputSize()) {
            throw new IllegalArgumentException("x has shape " + java.util.Arrays.toString(x.shape()) + " but the model takes (B, "
                    + c.inChannels() + ", " + c.inputSize() + ", " + c.inputSize() + ")");
        }
        if (t.length() != x.size(0) || y.length() != x.size(0)) {
            throw new IllegalArgumentException("batch sizes differ: x has " + x.size(0) + " samples, t " + t.length() + ", y " + y.length());
        }
        long rows = c.labelTableRows();
        long[] labels = y.castTo(DataType.INT64).reshape(y.length()).toLongVector();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= rows) {
                throw new IllegalArgumentException("label y[" + i + "] = " + labels[i] + " is outside 0.." + (rows - 1));
            }
        }
    }

    /** The complete model: full width, every token (the plain DiT on these weights). */
    public INDArray complete(INDArray x, INDArray t, INDArray y) {
        return model.forward(x, t, y);
    }

    /**
     * Guided dynamic forward as the reference's {@code forward_with_cfg}: the first half of x is used for both
     * halves, guidance on the first 3 channels; masks are those of the whole 2n batch.
     */
    public DyDiTOutput forwardWithCfg(INDArray x, INDArray t, INDArray y, double scale) {
        DyDiTOutput o = forward(DiTModel.guidanceInput(x), t, y);
        return new DyDiTOutput(DiTModel.guided(o.out(), scale), o.attnMask(), o.mlpMask(), o.tokenMask());
    }
}
