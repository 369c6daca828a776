package org.dydit.routing;

import org.dydit.model.DiTConfig;
import org.dydit.model.flops.DiTFlops;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DyDiT's FLOPs-aware loss {@code w·(mean_b r_b − λ_t)²} (w = 2 in the reference), with each sample's ratio of
 * block FLOPs counted from its masks:
 * <pre>
 *   r_b = Σ_l [ mean_h A[b,l,h]·F_attn,l + mean_g G[b,l,g] · mean_n S[b,l,n]·F_mlp,l ] / Σ_l (F_attn,l + F_mlp,l)
 * </pre>
 * Attention cost is linear in the active heads, MLP cost in active groups times active tokens. The per-block
 * MACs F come from {@link DiTFlops} for the actual model size and token count (the reference has constants for
 * three sizes at 256 tokens only). Embeddings, adaLN, the final layer and the routers are not in r_b, as in the
 * reference.
 */
public final class FlopsLoss {
    /** The reference's weight of the FLOPs term ({@code token_loss_ratio}). */
    public static final double REFERENCE_WEIGHT = 2.0;

    private final DiTConfig cfg;
    private final double weight;
    private final double[] fAttn, fMlp;
    private final double total;

    public FlopsLoss(DiTConfig cfg, double weight) {
        this.cfg = cfg;
        this.weight = weight;
        DiTFlops f = DiTFlops.of(cfg);
        fAttn = new double[cfg.depth()];
        fMlp = new double[cfg.depth()];
        double s = 0;
        for (int l = 0; l < cfg.depth(); l++) {
            fAttn[l] = f.attentionMacs(cfg.tokens());
            fMlp[l] = f.mlpMacs(cfg.tokens());
            s += fAttn[l] + fMlp[l];
        }
        total = s;
    }

    public double weight() {
        return weight;
    }

    /** The loss, the batch mean ratio and each sample's ratio r_b. */
    public record Value(double loss, double meanRatio, double[] ratios) {}

    /** d loss / d mask per block, in the layouts of the masks: (B·H), (B·H), (B·T). */
    public record Gradient(double[][] head, double[][] channel, double[][] token) {}

    /**
     * The FLOPs ratio of each sample: masks per block {@code head[l]} (B·H), {@code channel[l]} (B·H),
     * {@code token[l]} (B·T), row-major by sample.
     */
    public double[] ratios(double[][] head, double[][] channel, double[][] token) {
        int h = cfg.numHeads(), t = cfg.tokens();
        int b = head[0].length / h;
        double[] r = new double[b];
        for (int l = 0; l < cfg.depth(); l++) {
            for (int i = 0; i < b; i++) {
                r[i] += (mean(head[l], i * h, h) * fAttn[l]
                        + mean(channel[l], i * h, h) * mean(token[l], i * t, t) * fMlp[l]) / total;
            }
        }
        return r;
    }

    /** The loss for target {@code target} (λ_t); fills {@code grad} when non-null. */
    public Value compute(double[][] head, double[][] channel, double[][] token, double target, Gradient grad) {
        double[] r = ratios(head, channel, token);
        int b = r.length, h = cfg.numHeads(), t = cfg.tokens();
        double mean = 0;
        for (double v : r) mean += v / b;
        double diff = mean - target;
        if (grad != null) {
            double c = 2 * weight * diff / b;     // d loss / d r_b
            for (int l = 0; l < cfg.depth(); l++) {
                for (int i = 0; i < b; i++) {
                    double mg = mean(channel[l], i * h, h), ms = mean(token[l], i * t, t);
                    for (int k = 0; k < h; k++) {
                        grad.head[l][i * h + k] = c * fAttn[l] / (h * total);
                        grad.channel[l][i * h + k] = c * fMlp[l] * ms / (h * total);
                    }
                    for (int n = 0; n < t; n++) grad.token[l][i * t + n] = c * fMlp[l] * mg / (t * total);
                }
            }
        }
        return new Value(weight * diff * diff, mean, r);
    }

    /** A zero gradient holder for batch {@code b}. */
    public Gradient newGradient(int b) {
        int l = cfg.depth();
        return new Gradient(new double[l][b * cfg.numHeads()], new double[l][b * cfg.numHeads()], new double[l][b * cfg.tokens()]);
    }

    /**
     * The same loss in a SameDiff graph on the masks as {@link DyDiTGraph} outputs them: attn (B,L,H), mlp (B,L,H),
     * token (B,L,T,1); the target is a constant.
     */
    public SDVariable graph(SameDiff sd, SDVariable attn, SDVariable mlp, SDVariable token, double target, DataType dtype) {
        int depth = cfg.depth();
        double[] a = new double[depth], m = new double[depth];
        for (int l = 0; l < depth; l++) {
            a[l] = fAttn[l] / total;
            m[l] = fMlp[l] / total;
        }
        SDVariable ca = sd.constant("flops_attn_share", Nd4j.create(a, new long[]{1, depth}, 'c').castTo(dtype));
        SDVariable cm = sd.constant("flops_mlp_share", Nd4j.create(m, new long[]{1, depth}, 'c').castTo(dtype));
        SDVariable headMean = sd.mean(attn, 2);                                // (B, L)
        SDVariable mlpCost = sd.mean(mlp, 2).mul(sd.mean(token, 2, 3));        // (B, L)
        SDVariable r = sd.sum(headMean.mul(ca).add(mlpCost.mul(cm)), 1);       // (B)
        SDVariable diff = sd.mean(r).sub(target);
        return diff.mul(diff).mul(weight);
    }

    private static double mean(double[] v, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += v[off + i];
        return s / n;
    }
}
