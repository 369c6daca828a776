/**
 * Training: the trainer state (parameters, gradients, AdamW moments, EMA, step and random positions), the DiT
 * diffusion objective and DyDiT's fine-tuning objective (spec §3.6-3.8), and checkpoints that resume bit for bit.
 */
package org.dydit.train;
