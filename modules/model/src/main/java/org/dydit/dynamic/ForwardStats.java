package org.dydit.dynamic;

/**
 * What one forward pass of the {@link DynamicEngine} actually computed: multiply-accumulates (the papers'
 * "FLOPs") of the decisions taken, routers included, against the static model's, and per layer the mean
 * active heads, channel groups and kept-token fraction over the batch. {@code minTokenMargin} is the smallest
 * |token logit| met, {@code minWidthMargin} the smallest |width-router logit| (infinite when no router ran).
 *
 * <p>{@code executedMacs} is the work the pass really did: counted where each product runs (every gemm with its
 * m·k·n, the attention kernel's QK^T and softmax·V per query block, the adaLN and token-router products), not
 * derived from the decisions. It leaves out what TDW computes once per timestep and caches (the timestep MLP and
 * the width routers), so it equals {@code macs} less those terms when the engine skips what its routers switch off.
 */
public record ForwardStats(int batch, double macs, double staticMacs, double[] heads, double[] groups,
                           double[] tokenFraction, double minTokenMargin, double minWidthMargin, long executedMacs) {

    /** Dynamic over static MACs of this pass. */
    public double flopsRatio() {
        return macs / staticMacs;
    }
}
