package org.dydit.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DyDiT's per-block masks, the hook through which routers act on the dense engine (null = all on):
 * {@code head} (B, H) multiplies each head's attention output before {@code proj}; {@code channel} (B, H)
 * multiplies the H contiguous groups of {@code fc1}'s output before GELU; {@code token} (B*T) multiplies the
 * MLP branch of each token (bias included). When the matching {@code d*} array is set, the backward pass writes
 * d loss / d mask into it: the gradient a straight-through estimator hands to the router.
 */
public final class BlockMasks {
    public INDArray head;
    public INDArray channel;
    public INDArray token;
    public INDArray dHead;
    public INDArray dChannel;
    public INDArray dToken;
    /** Where a token router reads the stream and hands back its gradient (null: {@code token} is fixed). */
    public TokenHook tokenHook;

    /**
     * DyDiT's token router acts between the attention update and the MLP update of the same block, so the block
     * calls it there: {@link #forward} with the residual stream after attention (B*T, D), which must fill
     * {@code token}; {@link #backward} once {@code dToken} holds d loss / d mask, adding the router's
     * d loss / d stream into {@code dx} (B*T, D) before the attention branch's backward reads it.
     */
    public interface TokenHook {
        void forward(INDArray x1);

        void backward(INDArray dx);
    }
}
