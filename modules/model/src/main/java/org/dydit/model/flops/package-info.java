/**
 * Cost in the paper's units: multiply-accumulates of a DiT forward ({@link org.dydit.model.flops.DiTFlops}) for the
 * static model and for given router decisions, and the report printed by {@code dydit flops}.
 */
package org.dydit.model.flops;
