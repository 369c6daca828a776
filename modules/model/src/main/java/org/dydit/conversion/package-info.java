/**
 * A pretrained DiT as DyDiT's starting point (spec §3.5): {@link org.dydit.conversion.ImportanceOrdering} sorts heads
 * and channel groups by importance (a function-preserving permutation) and {@link org.dydit.conversion.DyDiTConversion}
 * adds routers initialised to keep everything.
 */
package org.dydit.conversion;
