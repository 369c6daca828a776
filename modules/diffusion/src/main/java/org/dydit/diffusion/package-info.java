/**
 * Gaussian diffusion as DiT and DyDiT use it, in plain Java with float64 schedules: the linear 1000-step
 * process ({@link org.dydit.diffusion.GaussianDiffusion}), timestep respacing
 * ({@link org.dydit.diffusion.TimestepRespacing}), the hybrid training loss with its gradient with respect to the
 * model output ({@link org.dydit.diffusion.HybridLoss}), the ancestral and DDIM samplers, classifier-free
 * guidance, and counter-based random draws that make sampling and training independent of batching.
 *
 * <p>The network is only a {@link org.dydit.diffusion.DenoiseModel}: this module knows nothing of ND4J.
 * Tensors are row-major NCHW arrays.
 */
package org.dydit.diffusion;
