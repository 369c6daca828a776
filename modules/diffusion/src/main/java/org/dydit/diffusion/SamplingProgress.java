package org.dydit.diffusion;

/** Told after every denoising step of a sampling loop. */
@FunctionalInterface
public interface SamplingProgress {
    SamplingProgress NONE = (done, total) -> { };

    void onStep(int done, int total);
}
