package org.dydit.model;

/**
 * DiT's fixed 2-D sin-cos position embedding, computed in float64 as the reference does (numpy) and cast
 * by the caller. For the token at row i, column j of a G x G grid and {@code w_k = 1/10000^(k/Q)}, Q = D/4:
 * {@code [sin(j w), cos(j w), sin(i w), cos(i w)]}; the column coordinate comes first (numpy meshgrid order).
 */
public final class PositionEmbedding {
    private PositionEmbedding() {}

    /** Row-major (T, D) values, T = grid*grid, token index {@code i*grid + j}. */
    public static double[] sinCos2d(int dim, int grid) {
        if (dim % 4 != 0) throw new IllegalArgumentException("position embedding width must be a multiple of 4: " + dim);
        int q = dim / 4;
        double[] omega = new double[q];
        for (int k = 0; k < q; k++) {
            // numpy: omega = 1 / 10000**(arange(q) / (D/4)) with float64 arange / float division
            omega[k] = 1.0 / Math.pow(10000.0, (double) k / (double) q);
        }
        double[] out = new double[grid * grid * dim];
        for (int i = 0; i < grid; i++) {
            for (int j = 0; j < grid; j++) {
                int base = (i * grid + j) * dim;
                for (int k = 0; k < q; k++) {
                    double aw = j * omega[k];
                    double ah = i * omega[k];
                    out[base + k] = Math.sin(aw);
                    out[base + q + k] = Math.cos(aw);
                    out[base + 2 * q + k] = Math.sin(ah);
                    out[base + 3 * q + k] = Math.cos(ah);
                }
            }
        }
        return out;
    }
}
