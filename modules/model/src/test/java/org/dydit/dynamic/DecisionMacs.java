package org.dydit.dynamic;

import org.dydit.model.DiTConfig;
import org.dydit.model.DiTKeys;
import org.dydit.model.flops.DiTFlops;

/**
 * The MACs of the decisions a {@link DynamicEngine} recorded for its last forward, costed with {@link DiTFlops}'
 * formulas (spec §3.11): attention on the active heads over every token, the MLP on the active groups over the kept
 * tokens, the token router D·D/16 + D/16 per token, and per sample the patch embedding, every adaLN and the final
 * layer. The timestep MLP and the width routers are left out: TDW runs them once per timestep, when it makes the
 * timestep's plan, not per forward. Independent of the engine's own counting: it reads only the decisions.
 */
public final class DecisionMacs {
    private DecisionMacs() {}

    /**
     * For a forward of n samples, all at timestep t, that was the engine's last (the engine must record token logits,
     * {@link DynamicEngine#recordTokenLogits}, when dynamic).
     */
    public static long of(DynamicEngine e, int t, int n) {
        DiTConfig c = e.config();
        DiTFlops f = DiTFlops.of(c);
        long tokens = c.tokens(), d = c.hiddenSize(), rh = DiTKeys.tokenRouterHidden(c), gs = c.mlpHidden() / c.numHeads();
        long macs = n * (f.patchEmbedMacs() + c.depth() * f.adaLNMacs() + f.finalLayerMacs());
        int[][] heads = e.activeHeads(t), groups = e.activeGroups(t);
        for (int l = 0; l < c.depth(); l++) {
            macs += n * f.attentionMacs(tokens, heads[l].length);
            long kept = n * tokens;
            if (e.mode() == DynamicEngine.Mode.DYNAMIC) {
                float[] logits = e.tokenLogits(l);
                if (logits == null || logits.length != n * tokens) {
                    throw new IllegalStateException("layer " + l + ": no token logits of " + n + " samples recorded");
                }
                kept = 0;
                for (float v : logits) if (v > 0) kept++;
                macs += n * tokens * (d * rh + rh);
            }
            macs += f.mlpMacs(kept, groups[l].length * gs);
        }
        return macs;
    }
}
