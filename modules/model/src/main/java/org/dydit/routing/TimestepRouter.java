package org.dydit.routing;

import org.dydit.kernels.NdBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * TDW's width router of one block on the engine ({@code attn_rate} or {@code mlp_rate}): logits
 * {@code Linear(D → H−1)(E_t)}, binarised by {@link GumbelSigmoid}, written as the (B, H) mask
 * {@code [1, m_1..m_{H−1}]} (head / channel group 0 always on). Backward: the straight-through gradient of the
 * mask reaches the router's weight and bias and E_t. Tiny (B·(H−1)·D), so plain loops.
 *
 * <p>{@link #activeSet} is the same router in evaluation, as the dynamic engine runs it: once per timestep, since
 * E_t depends on t alone, giving the list of heads or channel groups a layer computes.
 */
public final class TimestepRouter {
    private final INDArray w, b;        // (H-1, D), (H-1)
    private final int heads, d;
    private double[] logits = new double[0];

    TimestepRouter(INDArray weight, INDArray bias, int heads, int d) {
        this.w = weight;
        this.b = bias;
        this.heads = heads;
        this.d = d;
    }

    /**
     * Evaluation: the router's logits {@code W E_t + b} (W (H−1, D) row-major, in double from the float32 weights)
     * into {@code logits}, and the active set {@code {0} ∪ {k + 1 : logit_k > 0}}, ascending.
     */
    public static int[] activeSet(float[] weight, float[] bias, double[] tEmb, double[] logits) {
        int r = logits.length, d = tEmb.length, n = 1;
        for (int k = 0; k < r; k++) {
            double z = bias[k];
            for (int j = 0; j < d; j++) z += weight[k * d + j] * tEmb[j];
            logits[k] = z;
            if (GumbelSigmoid.decide(z, 0) == 1.0) n++;
        }
        int[] active = new int[n];
        for (int k = 0, i = 1; k < r; k++) if (GumbelSigmoid.decide(logits[k], 0) == 1.0) active[i++] = k + 1;
        return active;
    }

    /** Fills {@code mask} (B, H) from E_t (B, D); {@code noise} (B·(H−1)) or null in evaluation. */
    void forward(INDArray tEmb, double[] noise, INDArray mask) {
        NdBuffer e = NdBuffer.of(tEmb), wb = NdBuffer.of(w), bb = NdBuffer.of(b), m = NdBuffer.of(mask);
        int batch = e.n / d, r = heads - 1;
        if (logits.length != batch * r) logits = new double[batch * r];
        for (int i = 0; i < batch; i++) {
            m.set(i * heads, 1.0);
            for (int k = 0; k < r; k++) {
                double z = bb.get(k);
                for (int j = 0; j < d; j++) z += wb.get(k * d + j) * e.get(i * d + j);
                logits[i * r + k] = z;
                m.set(i * heads + 1 + k, GumbelSigmoid.decide(z, noise == null ? 0 : noise[i * r + k]));
            }
        }
    }

    /**
     * From d loss / d mask (B, H) (plus {@code extra}, the same layout, or null): writes the weight and bias
     * gradients (overwriting) and adds d loss / d E_t into {@code dTEmb}.
     */
    void backward(INDArray tEmb, INDArray dMask, double[] extra, double[] noise, double tau,
                  INDArray gW, INDArray gB, INDArray dTEmb) {
        NdBuffer e = NdBuffer.of(tEmb), dm = NdBuffer.of(dMask), wb = NdBuffer.of(w), gw = NdBuffer.of(gW), gb = NdBuffer.of(gB), de = NdBuffer.of(dTEmb);
        int batch = e.n / d, r = heads - 1;
        double[] accW = new double[r * d];
        double[] accB = new double[r];
        for (int i = 0; i < batch; i++) {
            for (int k = 0; k < r; k++) {
                int mi = i * heads + 1 + k;
                double g = dm.get(mi) + (extra == null ? 0 : extra[mi]);
                double dz = g * GumbelSigmoid.steDerivative(logits[i * r + k], noise == null ? 0 : noise[i * r + k], tau);
                accB[k] += dz;
                for (int j = 0; j < d; j++) {
                    accW[k * d + j] += dz * e.get(i * d + j);
                    de.add(i * d + j, dz * wb.get(k * d + j));
                }
            }
        }
        for (int k = 0; k < r; k++) {
            gb.set(k, accB[k]);
            for (int j = 0; j < d; j++) gw.set(k * d + j, accW[k * d + j]);
        }
    }
}
