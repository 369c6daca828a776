package org.dydit.diffusion;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Which of the original timesteps a shortened sampling process keeps.
 *
 * <p>The spec strings are those of DiT's {@code create_diffusion(timestep_respacing=...)}:
 * <ul>
 *   <li>{@code ""}: every step;</li>
 *   <li>{@code "250"} or a comma list {@code "10,15,20"}: the steps are split into as many equal sections as
 *       the list has entries (the first {@code T mod n} sections one step longer), and each section keeps that many
 *       steps at a fractional stride, rounded half-to-even (Python's {@code round});</li>
 *   <li>{@code "ddimN"}: the smallest integer stride {@code s} for which {@code 0, s, 2s, ...} has exactly
 *       {@code N} steps below {@code T}.</li>
 * </ul>
 */
public final class TimestepRespacing {
    private TimestepRespacing() {}

    /** The kept original timesteps, sorted ascending and distinct. */
    public static int[] spaceTimesteps(int numTimesteps, String spec) {
        if (numTimesteps < 1) {
            throw new IllegalArgumentException("number of timesteps must be positive, got " + numTimesteps);
        }
        String s = spec == null ? "" : spec.trim();
        if (s.isEmpty()) {
            return range(0, numTimesteps, 1);
        }
        if (s.startsWith("ddim")) {
            int desired = parseCount(spec, s.substring(4));
            for (int stride = 1; stride < numTimesteps; stride++) {
                if ((numTimesteps + stride - 1) / stride == desired) {
                    return range(0, numTimesteps, stride);
                }
            }
            throw new IllegalArgumentException("timestep respacing '" + spec + "': cannot take exactly " + desired
                    + " of " + numTimesteps + " steps with an integer stride");
        }
        String[] parts = s.split(",", -1);
        int[] counts = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            counts[i] = parseCount(spec, parts[i].trim());
        }
        return sections(numTimesteps, counts, spec);
    }

    private static int[] sections(int numTimesteps, int[] counts, String spec) {
        int sizePer = numTimesteps / counts.length;
        int extra = numTimesteps % counts.length;
        TreeSet<Integer> steps = new TreeSet<>();
        int start = 0;
        for (int i = 0; i < counts.length; i++) {
            int size = sizePer + (i < extra ? 1 : 0);
            int count = counts[i];
            if (size < count) {
                throw new IllegalArgumentException("timestep respacing '" + spec + "': section " + i + " has "
                        + size + " steps, cannot take " + count);
            }
            double stride = count <= 1 ? 1.0 : (size - 1) / (double) (count - 1);
            double cur = 0.0;
            for (int j = 0; j < count; j++) {
                steps.add(start + (int) Math.rint(cur)); // rint = round half to even, as Python's round
                cur += stride;
            }
            start += size;
        }
        int[] out = new int[steps.size()];
        int k = 0;
        for (int v : steps) out[k++] = v;
        return out;
    }

    private static int parseCount(String spec, String text) {
        try {
            int n = Integer.parseInt(text);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("timestep respacing '" + spec + "': '" + text
                    + "' is not a step count (expected \"\", \"250\", \"10,20,30\" or \"ddim50\")");
        }
    }

    private static int[] range(int start, int stop, int stride) {
        List<Integer> l = new ArrayList<>();
        for (int i = start; i < stop; i += stride) l.add(i);
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The β of the shortened process that keeps the cumulative products ᾱ at the kept steps:
     * {@code β'_k = 1 − ᾱ[s_k]/ᾱ[s_{k−1}]}, with {@code ᾱ[s_{−1}] = 1}.
     */
    public static double[] respacedBetas(double[] alphasCumprod, int[] kept) {
        double[] betas = new double[kept.length];
        double last = 1.0;
        int prev = -1;
        for (int k = 0; k < kept.length; k++) {
            int s = kept[k];
            if (s <= prev || s >= alphasCumprod.length) {
                throw new IllegalArgumentException("kept timesteps must be increasing and below "
                        + alphasCumprod.length + ", got " + s + " after " + prev);
            }
            betas[k] = 1.0 - alphasCumprod[s] / last;
            last = alphasCumprod[s];
            prev = s;
        }
        return betas;
    }
}
