package org.dydit.engine;

import org.dydit.model.DiTConfig;

/**
 * Where each element of DiT's two token layouts sits in the image tensor, as index maps built once per batch
 * size, so that both engines (training and inference) gather and scatter through the same definition.
 * Token m of sample b is row {@code b*T + m}, {@code m = i*G + j} for patch row i and column j.
 */
public final class PatchLayout {
    private PatchLayout() {}

    /**
     * The patch embedding's input rows (B*T, C*p*p), patch vector in (c, ky, kx) order (the conv weight's):
     * element k of the result is the index in x (B, C, H, W) of element k of the rows.
     */
    public static int[] input(DiTConfig cfg, int batch) {
        int ch = cfg.inChannels(), p = cfg.patchSize(), g = cfg.gridSize(), side = cfg.inputSize();
        int pp = ch * p * p;
        int[] map = new int[Math.multiplyExact(batch * g * g, pp)];
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < g; i++) {
                for (int j = 0; j < g; j++) {
                    int row = (n * g + i) * g + j;
                    for (int c = 0; c < ch; c++) {
                        for (int ky = 0; ky < p; ky++) {
                            for (int kx = 0; kx < p; kx++) {
                                map[row * pp + (c * p + ky) * p + kx] = ((n * ch + c) * side + i * p + ky) * side + j * p + kx;
                            }
                        }
                    }
                }
            }
        }
        return map;
    }

    /**
     * The final linear layer's output rows (B*T, p*p*Cout), per token in (py, px, c) order: element k of the
     * result is the index in the output (B, Cout, H, W) of element k of the rows (unpatchify scatters through it,
     * its adjoint gathers).
     */
    public static int[] output(DiTConfig cfg, int batch) {
        int co = cfg.outChannels(), p = cfg.patchSize(), g = cfg.gridSize(), side = cfg.inputSize();
        int w = p * p * co;
        int[] map = new int[Math.multiplyExact(batch * g * g, w)];
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < g; i++) {
                for (int j = 0; j < g; j++) {
                    int row = (n * g + i) * g + j;
                    for (int py = 0; py < p; py++) {
                        for (int px = 0; px < p; px++) {
                            for (int c = 0; c < co; c++) {
                                map[row * w + (py * p + px) * co + c] = ((n * co + c) * side + i * p + py) * side + j * p + px;
                            }
                        }
                    }
                }
            }
        }
        return map;
    }

    /** The maps of one batch size, built on first use and rebuilt when the batch size changes. */
    public static final class Cache {
        private final DiTConfig cfg;
        private int batch = -1;
        private int[] in, out;

        public Cache(DiTConfig cfg) {
            this.cfg = cfg;
        }

        public int[] input(int b) {
            refresh(b);
            return in;
        }

        public int[] output(int b) {
            refresh(b);
            return out;
        }

        private void refresh(int b) {
            if (b != batch) {
                in = PatchLayout.input(cfg, b);
                out = PatchLayout.output(cfg, b);
                batch = b;
            }
        }
    }
}
