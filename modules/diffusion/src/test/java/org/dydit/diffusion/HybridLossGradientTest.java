package org.dydit.diffusion;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The analytic dLoss/dModelOutput against float64 central differences. The stop-gradient defines what is
 * differentiated: ε̂ only through mse, v through the whole loss (mse does not depend on v).
 */
class HybridLossGradientTest {
    private static final long[] SHAPE = {5, 2, 3, 4};
    // decoder NLL (0), the steps right after it, the middle and the end of the schedule
    private static final int[] T = {0, 0, 1, 500, 999};

    @Test
    void gradientMatchesCentralDifferences() {
        Random rnd = new Random(7);
        int n = (int) (SHAPE[0] * SHAPE[1] * SHAPE[2] * SHAPE[3]);
        double[] x0 = new double[n];
        double[] noise = new double[n];
        double[] out = new double[2 * n];
        for (int i = 0; i < n; i++) {
            // latents spread past ±0.999 so all three branches of the decoder likelihood are exercised
            x0[i] = 1.5 * rnd.nextGaussian();
            noise[i] = rnd.nextGaussian();
        }
        for (int i = 0; i < out.length; i++) out[i] = 0.8 * rnd.nextGaussian();
        GaussianDiffusion d = GaussianDiffusion.create("");
        HybridLoss loss = new HybridLoss(d);
        double[] xT = new double[n];
        int per = n / (int) SHAPE[0];
        for (int b = 0; b < SHAPE[0]; b++) {
            double a = Math.sqrt(d.alphaCumprod(T[b]));
            double c = Math.sqrt(1 - d.alphaCumprod(T[b]));
            for (int i = b * per; i < (b + 1) * per; i++) xT[i] = a * x0[i] + c * noise[i];
        }
        double scale = 1.0 / SHAPE[0];
        double[] grad = new double[out.length];
        HybridLoss.Terms base = loss.compute(x0, xT, noise, T, out, SHAPE, grad, scale);
        for (double v : base.loss) assertTrue(Double.isFinite(v), "finite loss");

        int C = (int) SHAPE[1];
        int plane = (int) (SHAPE[2] * SHAPE[3]);
        int checkedDecoderV = 0;
        for (int b = 0; b < SHAPE[0]; b++) {
            for (int c = 0; c < 2 * C; c++) {
                for (int p = 0; p < plane; p++) {
                    int i = (b * 2 * C + c) * plane + p;
                    boolean isV = c >= C;
                    double h = 1e-6;
                    double saved = out[i];
                    out[i] = saved + h;
                    double up = objective(loss.compute(x0, xT, noise, T, out, SHAPE, null, 0), isV, scale);
                    out[i] = saved - h;
                    double down = objective(loss.compute(x0, xT, noise, T, out, SHAPE, null, 0), isV, scale);
                    out[i] = saved;
                    double fd = (up - down) / (2 * h);
                    double err = Math.abs(fd - grad[i]);
                    double tol = 1e-7 + 1e-5 * Math.abs(fd);
                    assertTrue(err <= tol, String.format("d loss/d out[%d] (sample %d, t=%d, %s channel %d): "
                            + "analytic %.10g, central difference %.10g", i, b, T[b], isV ? "v" : "eps", c % C, grad[i], fd));
                    if (isV && T[b] == 0 && grad[i] != 0) checkedDecoderV++;
                }
            }
        }
        assertTrue(checkedDecoderV > 0, "the decoder-NLL branch produced non-zero v gradients");
    }

    /** Batch mean of what each element's gradient is defined against. */
    private static double objective(HybridLoss.Terms t, boolean v, double scale) {
        double s = 0;
        for (int b = 0; b < t.loss.length; b++) s += v ? t.loss[b] : t.mse[b];
        return s * scale;
    }

    @Test
    void epsGradientIgnoresTheVariationalBound() {
        // mse does not change with v; vb's dependence on ε̂ is cut: so d/dε̂ equals the plain mse gradient.
        GaussianDiffusion d = GaussianDiffusion.create("");
        long[] shape = {1, 1, 1, 2};
        double[] x0 = {0.3, -0.2};
        double[] noise = {0.5, -1.0};
        double[] xT = new double[2];
        for (int i = 0; i < 2; i++) xT[i] = Math.sqrt(d.alphaCumprod(10)) * x0[i] + Math.sqrt(1 - d.alphaCumprod(10)) * noise[i];
        double[] out = {0.1, 0.2, 0.3, -0.4};
        double[] g = new double[4];
        new HybridLoss(d).compute(x0, xT, noise, new int[] {10}, out, shape, g, 1.0);
        for (int i = 0; i < 2; i++) assertEquals(-2.0 * (noise[i] - out[i]) / 2, g[i], 1e-15);
    }

    @Test
    void floatEntryPointAgreesWithDouble() {
        GaussianDiffusion d = GaussianDiffusion.create("");
        Random rnd = new Random(3);
        long[] shape = {2, 4, 2, 2};
        int n = 32;
        float[] x0 = new float[n], noise = new float[n], out = new float[2 * n];
        for (int i = 0; i < n; i++) { x0[i] = (float) rnd.nextGaussian(); noise[i] = (float) rnd.nextGaussian(); }
        for (int i = 0; i < 2 * n; i++) out[i] = (float) rnd.nextGaussian();
        int[] t = {0, 321};
        float[] xT = d.qSample(x0, noise, t, shape);
        float[] g = new float[2 * n];
        double[] gd = new double[2 * n];
        HybridLoss hl = new HybridLoss(d);
        HybridLoss.Terms a = hl.compute(x0, xT, noise, t, out, shape, g, 0.5);
        HybridLoss.Terms b = hl.compute(Shape4.toDoubles(x0), Shape4.toDoubles(xT), Shape4.toDoubles(noise), t,
                Shape4.toDoubles(out), shape, gd, 0.5);
        for (int i = 0; i < 2; i++) assertEquals(b.loss[i], a.loss[i], 0);
        for (int i = 0; i < 2 * n; i++) assertEquals((float) gd[i], g[i], 0);
    }
}
