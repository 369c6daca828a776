/**
 * The CPU kernels both engines run on: Vector API row kernels (GELU, softmax, LayerNorm, adaLN modulation,
 * attention), matmul micro-kernels, the backend gemm calls with kept op contexts and row splits, and the kernel
 * threads. Vector-passing helpers live in {@link org.dydit.kernels.VecMath}, which every JVM we start inlines.
 */
package org.dydit.kernels;
