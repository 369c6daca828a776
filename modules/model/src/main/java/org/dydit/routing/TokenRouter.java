package org.dydit.routing;

import org.dydit.kernels.NdBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SDT's token router of one block on the engine: {@code Linear(D → D/16) → ReLU → Linear(D/16 → 1)} on every row of
 * the residual stream after the attention update, binarised per token by {@link GumbelSigmoid}. The first layer
 * is one gemm over all B·T rows into preallocated buffers; backward adds the router's d loss / d stream with a
 * second gemm (beta 1) into the engine's gradient.
 *
 * <p>{@link Packed} is the same router in evaluation, laid out for the dynamic engine's fused residual + router pass
 * ({@code InferenceKernels.gatedAddTokenRouter}); a token runs the MLP when {@link #keeps} its logit.
 */
public final class TokenRouter {
    private final INDArray w0, b0, w2, b2;   // (k, D), (k), (1, k), (1)
    private final int d, k;
    private INDArray pre, dPre;                // (M, k): pre-activation; its gradient
    private double[] logits = new double[0];
    private INDArray x1;                       // the stream of the last forward (an engine buffer, alive until the next forward)

    TokenRouter(INDArray w0, INDArray b0, INDArray w2, INDArray b2) {
        this.w0 = w0;
        this.b0 = b0;
        this.w2 = w2;
        this.b2 = b2;
        this.k = (int) w0.size(0);
        this.d = (int) w0.size(1);
    }

    /**
     * One block's router for the dynamic engine: W0 transposed to (D, kp) with its k = D/16 columns zero-padded to
     * kp, a multiple of {@code lanes}, and b0, w2 padded with zeros to kp (a padded column gives relu(0 + 0) * 0), so
     * that rows run through the register-blocked product; as a backend gemm the narrow output is slow.
     */
    public record Packed(float[] w0t, int kp, float[] b0, float[] w2, float b2) {
        /** From the checkpoint's {@code w0} (k, D), {@code b0} (k), {@code w2} (1, k) and {@code b2} (1). */
        public static Packed of(float[] w0, float[] b0, float[] w2, float b2, int d, int lanes) {
            int k = b0.length, kp = (k + lanes - 1) / lanes * lanes;
            float[] t = new float[d * kp];
            for (int j = 0; j < k; j++) for (int i = 0; i < d; i++) t[i * kp + j] = w0[j * d + i];
            return new Packed(t, kp, java.util.Arrays.copyOf(b0, kp), java.util.Arrays.copyOf(w2, kp), b2);
        }

        /** The same router with output bias {@code b2} (the recipe's calibration sets it). */
        public Packed withBias(float b2) {
            return new Packed(w0t, kp, b0, w2, b2);
        }
    }

    /** Evaluation's decision: the token runs the MLP when its logit is positive. */
    public static boolean keeps(float logit) {
        return GumbelSigmoid.decide(logit, 0) == 1.0;
    }

    private void ensure(int rows, DataType dt) {
        if (pre != null && pre.size(0) == rows && pre.dataType() == dt) return;
        if (pre != null) {
            pre.close();
            dPre.close();
        }
        pre = Nd4j.create(dt, rows, k);
        dPre = Nd4j.create(dt, rows, k);
        logits = new double[rows];
    }

    /** Fills {@code mask} (B·T) from the stream {@code x1} (B·T, D); {@code noise} (B·T) or null in evaluation. */
    void forward(INDArray x1, double[] noise, INDArray mask) {
        int rows = (int) x1.size(0);
        ensure(rows, x1.dataType());
        this.x1 = x1;
        Nd4j.gemm(x1, w0, pre, false, true, 1.0, 0.0);
        NdBuffer p = NdBuffer.of(pre), bb0 = NdBuffer.of(b0), ww2 = NdBuffer.of(w2), m = NdBuffer.of(mask);
        double bias2 = NdBuffer.of(b2).get(0);
        for (int r = 0; r < rows; r++) {
            double z = bias2;
            for (int j = 0; j < k; j++) {
                double v = p.get(r * k + j) + bb0.get(j);
                p.set(r * k + j, v);
                if (v > 0) z += ww2.get(j) * v;
            }
            logits[r] = z;
            m.set(r, GumbelSigmoid.decide(z, noise == null ? 0 : noise[r]));
        }
    }

    /**
     * From d loss / d mask (B·T) plus {@code extra} (or null): writes the router's four gradients (overwriting) and
     * adds d loss / d stream into {@code dx} (B·T, D).
     */
    void backward(INDArray dMask, double[] extra, double[] noise, double tau,
                  INDArray gW0, INDArray gB0, INDArray gW2, INDArray gB2, INDArray dx) {
        int rows = logits.length;
        NdBuffer p = NdBuffer.of(pre), dp = NdBuffer.of(dPre), dm = NdBuffer.of(dMask), ww2 = NdBuffer.of(w2);
        double[] accW2 = new double[k];
        double[] accB0 = new double[k];
        double accB2 = 0;
        for (int r = 0; r < rows; r++) {
            double g = dm.get(r) + (extra == null ? 0 : extra[r]);
            double dz = g * GumbelSigmoid.steDerivative(logits[r], noise == null ? 0 : noise[r], tau);
            accB2 += dz;
            for (int j = 0; j < k; j++) {
                double v = p.get(r * k + j);
                double dv = v > 0 ? dz * ww2.get(j) : 0;
                if (v > 0) accW2[j] += dz * v;
                accB0[j] += dv;
                dp.set(r * k + j, dv);
            }
        }
        NdBuffer gw2 = NdBuffer.of(gW2), gb0 = NdBuffer.of(gB0);
        for (int j = 0; j < k; j++) {
            gw2.set(j, accW2[j]);
            gb0.set(j, accB0[j]);
        }
        NdBuffer.of(gB2).set(0, accB2);
        Nd4j.gemm(dPre, x1, gW0, true, false, 1.0, 0.0);
        Nd4j.gemm(dPre, w0, dx, false, false, 1.0, 1.0);
    }

    void close() {
        if (pre != null) {
            pre.close();
            dPre.close();
        }
    }
}
