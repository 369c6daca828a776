/**
 * The DiT and DyDiT models as data and as the reference definition: {@link org.dydit.model.DiTConfig} (the paper's
 * sizes), {@link org.dydit.model.DiTKeys} (original PyTorch key names), model folders ({@link org.dydit.model.DiTModel},
 * {@link org.dydit.model.DiTWeights}, {@link org.dydit.model.DiffusersDiT}), DiT's initialisation, and the SameDiff
 * reference graphs {@link org.dydit.model.DiTGraph} and {@link org.dydit.model.DyDiTGraph} (routers on, with Gumbel
 * noise and the straight-through estimator, or bypassed) against which both hand-written engines are tested.
 */
package org.dydit.model;
