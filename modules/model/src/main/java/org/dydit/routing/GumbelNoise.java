package org.dydit.routing;

import org.dydit.diffusion.CounterRandom;
import org.dydit.model.DiTConfig;

/**
 * The Gumbel noise of one training step's router decisions, drawn from the seeded counter-based generator
 * ({@link org.dydit.diffusion.TrainingRandom#generator()}) as a function of (step, global sample, block, router,
 * index): a step is reproducible whatever the batch split, and resuming needs only the seed and the step.
 *
 * <p>Per block {@code l}: {@code attn[l]} and {@code mlp[l]} (B, H−1) for the width routers and {@code token[l]}
 * (B·T) for the token router, row-major by sample. The graph takes them as placeholders and the engine reads the
 * same arrays, so both see identical decisions.
 */
public final class GumbelNoise {
    private static final long ATTN = 0x47415454L;   // "GATT"
    private static final long MLP = 0x474D4C50L;    // "GMLP"
    private static final long TOKEN = 0x47544F4BL;  // "GTOK"

    public final double[][] attn;
    public final double[][] mlp;
    public final double[][] token;

    private GumbelNoise(double[][] attn, double[][] mlp, double[][] token) {
        this.attn = attn;
        this.mlp = mlp;
        this.token = token;
    }

    /** All-zero noise: training-graph decisions then equal the evaluation decisions ({@code ℓ > 0}). */
    public static GumbelNoise zeros(DiTConfig cfg, int batch) {
        int depth = cfg.depth(), w = cfg.numHeads() - 1;
        return new GumbelNoise(new double[depth][batch * w], new double[depth][batch * w],
                new double[depth][batch * cfg.tokens()]);
    }

    /** The draws of samples {@code firstSample .. firstSample+batch−1} at training step {@code step}. */
    public static GumbelNoise draw(CounterRandom rng, DiTConfig cfg, long step, long firstSample, int batch) {
        GumbelNoise g = zeros(cfg, batch);
        int w = cfg.numHeads() - 1, t = cfg.tokens();
        for (int l = 0; l < cfg.depth(); l++) {
            for (int b = 0; b < batch; b++) {
                long sample = firstSample + b;
                for (int h = 0; h < w; h++) {
                    long idx = 2L * ((long) l * w + h);
                    g.attn[l][b * w + h] = GumbelSigmoid.gumbelDifference(rng.uniform(ATTN, step, sample, idx),
                            rng.uniform(ATTN, step, sample, idx + 1));
                    g.mlp[l][b * w + h] = GumbelSigmoid.gumbelDifference(rng.uniform(MLP, step, sample, idx),
                            rng.uniform(MLP, step, sample, idx + 1));
                }
                for (int n = 0; n < t; n++) {
                    long idx = 2L * ((long) l * t + n);
                    g.token[l][b * t + n] = GumbelSigmoid.gumbelDifference(rng.uniform(TOKEN, step, sample, idx),
                            rng.uniform(TOKEN, step, sample, idx + 1));
                }
            }
        }
        return g;
    }
}
