package org.dydit.diffusion;

/**
 * The network as the diffusion code sees it: a function of the noised batch, the <em>original</em> timesteps
 * (0..999 even when sampling on a respaced process) and the class labels.
 */
@FunctionalInterface
public interface DenoiseModel {
    /**
     * @param x                 (B,C,H,W) row-major
     * @param shape             {B, C, H, W}
     * @param originalTimesteps B timesteps of the 1000-step process
     * @param labels            B class labels; the null class means "unconditional"
     * @return (B,2C,H,W): ε̂ in channels 0..C−1, the variance interpolation v in channels C..2C−1
     */
    float[] apply(float[] x, long[] shape, int[] originalTimesteps, int[] labels);
}
