/**
 * Sampling on the dynamic engine (DDPM/DDIM with classifier-free guidance, images and npz out) and the cost of a
 * model along real sampling trajectories ({@link org.dydit.sample.TrajectoryFlops}).
 */
package org.dydit.sample;
