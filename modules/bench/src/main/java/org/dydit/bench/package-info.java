/**
 * Benchmarks that print JSON: the training step ({@link org.dydit.bench.TrainBenchmark}, mfu) and the dynamic
 * engine's speedup over the static model ({@link org.dydit.bench.SpeedupBenchmark}), with the router recipe that
 * gives a benchmark model a chosen FLOPs ratio ({@link org.dydit.bench.RouterRecipe}).
 */
package org.dydit.bench;
