/**
 * DyDiT (Zhao et al., ICLR 2025) on top of the DiT: routers, objective, conversion and cost.
 *
 * <ul>
 *   <li>{@link org.dydit.dydit.DyDiTGraph}: the SameDiff reference with the routers (evaluation, training with Gumbel
 *   noise placeholders and the straight-through estimator, complete); {@link org.dydit.dydit.DyDiTForward} runs it.</li>
 *   <li>{@link org.dydit.dydit.DyDiTRouting}: the same routers on the hand-written engine
 *   ({@link org.dydit.dydit.TimestepRouter}, {@link org.dydit.dydit.TokenRouter}), gradients equal the graph's.</li>
 *   <li>{@link org.dydit.dydit.FlopsLoss}, {@link org.dydit.dydit.TargetRatio}, {@link org.dydit.dydit.DyDiTRecipe},
 *   {@link org.dydit.dydit.DyDiTTrainer}: the FLOPs-aware fine-tuning objective and step.</li>
 *   <li>{@link org.dydit.dydit.ImportanceOrdering} and {@link org.dydit.dydit.DyDiTConversion}: a pretrained DiT as the
 *   starting point (function-preserving head/group permutation, paper router initialisation).</li>
 *   <li>{@link org.dydit.dydit.TrajectoryFlops}: the expected cost along real sampling trajectories.</li>
 * </ul>
 * Randomness (Gumbel noise, timesteps, ε, label dropout) comes from the counter-based generator of
 * {@link org.dydit.diffusion.TrainingRandom}, so a step is a pure function of (weights, seed, step).
 */
package org.dydit.dydit;
