package org.dydit.dynamic;

/**
 * What one forward pass of the {@link DynamicEngine} actually computed: multiply-accumulates (the papers'
 * "FLOPs") of the decisions taken, routers included, against the static model's, and per layer the mean
 * active heads, channel groups and kept-token fraction over the batch. {@code minTokenMargin} is the smallest
 * |token logit| met, {@code minWidthMargin} the smallest |width-router logit| (infinite when no router ran).
 */
public record ForwardStats(int batch, double macs, double staticMacs, double[] heads, double[] groups,
                           double[] tokenFraction, double minTokenMargin, double minWidthMargin) {

    /** Dynamic over static MACs of this pass. */
    public double flopsRatio() {
        return macs / staticMacs;
    }
}
