package org.dydit.routing;

import org.dydit.model.DyDiTGraph;
import org.dydit.model.DyDiTOutput;
import org.dydit.engine.BlockMasks;
import org.dydit.engine.DiTEngine;
import org.dydit.engine.DiTParams;
import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DyDiT's routers on the hand-written engine: per block a {@link TimestepRouter} for heads and one for MLP channel
 * groups (fed E_t through {@link DiTEngine.TimestepHook}) and a {@link TokenRouter} (fed the post-attention stream
 * through {@link BlockMasks.TokenHook}); they fill the engine's per-block masks in place.
 *
 * <p>{@link #attach} makes the engine's next forward passes dynamic, {@link #detach} makes them complete (plain
 * DiT). With {@link #setNoise} non-null the decisions are training decisions ({@code logit + g > 0}) and the
 * backward pass runs the straight-through estimator into the routers' gradients, which are written into the
 * {@code grads} store given to {@link #setGradients} (the same store the engine's backward fills). Extra
 * d loss / d mask terms (the FLOPs loss) join through {@link #setExtraMaskGradients}.
 */
public final class DyDiTRouting implements DiTEngine.TimestepHook {
    private final DiTEngine engine;
    private final DiTConfig cfg;
    private final DataType dt;
    private final TimestepRouter[] attn, mlp;
    private final TokenRouter[] token;
    private final BlockMasks[] masks;
    private final double tau;
    private GumbelNoise noise;
    private DiTParams grads;
    private double[][] extraHead, extraChan, extraTok;
    private INDArray tEmb;
    private int batch = -1;

    public DyDiTRouting(DiTEngine engine, double tau) {
        this.engine = engine;
        this.cfg = engine.config();
        DyDiTGraph.requireDynamic(cfg);
        this.dt = engine.params().dtype();
        this.tau = tau;
        int depth = cfg.depth(), heads = cfg.numHeads(), d = cfg.hiddenSize();
        DiTParams p = engine.params();
        attn = new TimestepRouter[depth];
        mlp = new TimestepRouter[depth];
        token = new TokenRouter[depth];
        masks = new BlockMasks[depth];
        for (int l = 0; l < depth; l++) {
            attn[l] = new TimestepRouter(p.get(DiTKeys.attnRouter(l) + ".weight"), p.get(DiTKeys.attnRouter(l) + ".bias"), heads, d);
            mlp[l] = new TimestepRouter(p.get(DiTKeys.mlpRouter(l) + ".weight"), p.get(DiTKeys.mlpRouter(l) + ".bias"), heads, d);
            token[l] = new TokenRouter(p.get(DiTKeys.tokenRouter0(l) + ".weight"), p.get(DiTKeys.tokenRouter0(l) + ".bias"),
                    p.get(DiTKeys.tokenRouter2(l) + ".weight"), p.get(DiTKeys.tokenRouter2(l) + ".bias"));
            masks[l] = new BlockMasks();
            final int block = l;
            masks[l].tokenHook = new BlockMasks.TokenHook() {
                @Override
                public void forward(INDArray x1) {
                    int rows = (int) x1.size(0);
                    ensure(rows / cfg.tokens());
                    token[block].forward(x1, noise == null ? null : noise.token[block], masks[block].token);
                }

                @Override
                public void backward(INDArray dx) {
                    if (grads == null) return;
                    token[block].backward(masks[block].dToken, extraTok == null ? null : extraTok[block],
                            noise == null ? null : noise.token[block], DyDiTRouting.this.tau,
                            grads.get(DiTKeys.tokenRouter0(block) + ".weight"), grads.get(DiTKeys.tokenRouter0(block) + ".bias"),
                            grads.get(DiTKeys.tokenRouter2(block) + ".weight"), grads.get(DiTKeys.tokenRouter2(block) + ".bias"), dx);
                }
            };
        }
    }

    /** The next forward passes are dynamic (routers on). */
    public void attach() {
        engine.setMasks(masks);
        engine.setTimestepHook(this);
    }

    /** The next forward passes are complete: full width, every token. */
    public void detach() {
        engine.setMasks(null);
        engine.setTimestepHook(null);
    }

    /** Training noise for the next forward (null: evaluation decisions, {@code logit > 0}). */
    public void setNoise(GumbelNoise noise) {
        this.noise = noise;
    }

    /** Where the backward pass writes the routers' gradients (null: routers get no gradient). */
    public void setGradients(DiTParams grads) {
        this.grads = grads;
    }

    /** Added to d loss / d mask before the straight-through estimator: per block (B·H), (B·H), (B·T); or null. */
    public void setExtraMaskGradients(double[][] head, double[][] chan, double[][] tok) {
        this.extraHead = head;
        this.extraChan = chan;
        this.extraTok = tok;
    }

    private void ensure(int b) {
        if (b == batch) return;
        batch = b;
        int heads = cfg.numHeads(), rows = b * cfg.tokens();
        for (BlockMasks m : masks) {
            for (INDArray a : new INDArray[]{m.head, m.channel, m.token, m.dHead, m.dChannel, m.dToken}) {
                if (a != null) a.close();
            }
            m.head = Nd4j.create(dt, b, heads);
            m.channel = Nd4j.create(dt, b, heads);
            m.token = Nd4j.create(dt, rows);
            m.dHead = Nd4j.create(dt, b, heads);
            m.dChannel = Nd4j.create(dt, b, heads);
            m.dToken = Nd4j.create(dt, rows);
        }
    }

    @Override
    public void forward(INDArray tEmb) {
        ensure((int) tEmb.size(0));
        this.tEmb = tEmb;
        for (int l = 0; l < masks.length; l++) {
            attn[l].forward(tEmb, noise == null ? null : noise.attn[l], masks[l].head);
            mlp[l].forward(tEmb, noise == null ? null : noise.mlp[l], masks[l].channel);
        }
    }

    @Override
    public void backward(INDArray dTEmb) {
        if (grads == null) return;
        for (int l = 0; l < masks.length; l++) {
            attn[l].backward(tEmb, masks[l].dHead, extraHead == null ? null : extraHead[l],
                    noise == null ? null : noise.attn[l], tau,
                    grads.get(DiTKeys.attnRouter(l) + ".weight"), grads.get(DiTKeys.attnRouter(l) + ".bias"), dTEmb);
            mlp[l].backward(tEmb, masks[l].dChannel, extraChan == null ? null : extraChan[l],
                    noise == null ? null : noise.mlp[l], tau,
                    grads.get(DiTKeys.mlpRouter(l) + ".weight"), grads.get(DiTKeys.mlpRouter(l) + ".bias"), dTEmb);
        }
    }

    /** Block {@code l}'s masks of the last dynamic forward: head (B,H), channel (B,H), token (B·T). */
    public BlockMasks masks(int l) {
        return masks[l];
    }

    /** The last forward's masks as the reference lays them out (float32). */
    public DyDiTOutput output(INDArray out) {
        int depth = masks.length, b = batch, heads = cfg.numHeads(), t = cfg.tokens();
        INDArray a = Nd4j.create(DataType.FLOAT, b, depth, heads);
        INDArray g = Nd4j.create(DataType.FLOAT, b, depth, heads);
        INDArray s = Nd4j.create(DataType.FLOAT, b, depth, t, 1);
        for (int l = 0; l < depth; l++) {
            for (int i = 0; i < b; i++) {
                for (int h = 0; h < heads; h++) {
                    a.putScalar(new long[]{i, l, h}, masks[l].head.getDouble(i, h));
                    g.putScalar(new long[]{i, l, h}, masks[l].channel.getDouble(i, h));
                }
                for (int n = 0; n < t; n++) s.putScalar(new long[]{i, l, n, 0}, masks[l].token.getDouble((long) i * t + n));
            }
        }
        return new DyDiTOutput(out, a, g, s);
    }

    /** Per block: the masks as plain arrays {head (B·H), channel (B·H), token (B·T)}. */
    public double[][][] maskArrays() {
        double[][][] r = new double[3][masks.length][];
        for (int l = 0; l < masks.length; l++) {
            r[0][l] = masks[l].head.dup().data().asDouble();
            r[1][l] = masks[l].channel.dup().data().asDouble();
            r[2][l] = masks[l].token.dup().data().asDouble();
        }
        return r;
    }

    public void close() {
        for (TokenRouter r : token) r.close();
    }
}
