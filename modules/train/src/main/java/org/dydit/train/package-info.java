/**
 * Training: one trainer state for both objectives, and checkpoints that resume bit for bit.
 *
 * <ul>
 *   <li>{@link org.dydit.train.Trainer}: parameters, gradients, AdamW moments and EMA (flat stores), the step counter
 *   and the seed of the counter-based random draws; a step is objective → clip → {@link org.dydit.train.AdamW} → EMA.
 *   {@link org.dydit.train.TrainerSettings}: optimiser, EMA, seed.</li>
 *   <li>{@link org.dydit.train.Objective}: the loss of a step and its gradient. {@link org.dydit.train.DiTObjective}:
 *   DiT's hybrid diffusion loss. {@link org.dydit.train.DyDiTObjective}: DyDiT's dynamic loss + FLOPs loss, plus the
 *   complete model's loss in stage 1 (spec §3.6-3.8), set by a {@link org.dydit.train.DyDiTRecipe} and its
 *   {@link org.dydit.train.TargetRatio} schedule.</li>
 *   <li>{@link org.dydit.train.TrainCheckpoint}: the folder that records the state, the objective and its recipe.</li>
 *   <li>{@link org.dydit.train.FlatSegments}: the stores walked in pieces one buffer can address (DiT-XL/2's are
 *   2.7 GB).</li>
 *   <li>{@link org.dydit.train.TrainingBatch} (noised latents, loss and output gradient of a batch),
 *   {@link org.dydit.train.SyntheticLatents} (an in-memory class-conditional set).</li>
 * </ul>
 */
package org.dydit.train;
