/**
 * The dynamic engine ({@link org.dydit.dynamic.DynamicEngine}): DyDiT inference that really skips what the routers
 * switch off, computing only the active heads and channel groups of each layer (sliced weights, per timestep) and the
 * MLP only for the tokens the token routers keep (gathered rows); equal to the masked path of the training engine.
 */
package org.dydit.dynamic;
