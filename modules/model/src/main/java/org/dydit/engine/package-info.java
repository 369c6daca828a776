/**
 * The hand-written training engine: forward and backward of a DiT (and, with routers attached, a DyDiT) on flat
 * float32 parameter buffers ({@link org.dydit.engine.DiTParams}), block by block ({@link org.dydit.engine.DiTBlock}),
 * checked against the reference graph's outputs and gradients. Masked routers compute every head and token and
 * multiply by the decisions, as training needs; {@link org.dydit.dynamic} is the engine that skips.
 */
package org.dydit.engine;
