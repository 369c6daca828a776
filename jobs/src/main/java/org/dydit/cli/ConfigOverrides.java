package org.dydit.cli;

import org.dydit.model.DiTConfig;
import org.dydit.prep.cli.Checks;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;

/**
 * Options that change single sizes of a model config ({@code --depth 4 --width 128}), for the commands that build a
 * config: each wins over the config it is applied to. Names follow both the paper's words and config.json's keys
 * ({@code --width} = {@code --hidden-size}, {@code --heads} = {@code --num-heads}, {@code --patch} =
 * {@code --patch-size}). The result is checked by {@link DiTConfig}; an invalid one is an error naming the options.
 */
final class ConfigOverrides {
    @Option(names = "--input-size", paramLabel = "N", description = "Latent side (image side / 8), input_size in config.json.")
    Integer inputSize;

    @Option(names = "--in-channels", paramLabel = "C", description = "Input channels.")
    Integer inChannels;

    @Option(names = "--num-classes", paramLabel = "K", description = "Classes (labels 0..K-1).")
    Integer numClasses;

    @Option(names = {"--patch", "--patch-size"}, paramLabel = "P", description = "Patch side.")
    Integer patch;

    @Option(names = "--depth", paramLabel = "L", description = "Number of blocks.")
    Integer depth;

    @Option(names = {"--width", "--hidden-size"}, paramLabel = "D", description = "Hidden size.")
    Integer width;

    @Option(names = {"--heads", "--num-heads"}, paramLabel = "H", description = "Attention heads.")
    Integer heads;

    @Option(names = "--mlp-ratio", paramLabel = "R", description = "MLP hidden size / hidden size.")
    Double mlpRatio;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Each size given must be positive (a usage error naming the option); combinations are checked by DiTConfig. */
    private void checkRanges() {
        if (command == null) return;
        String why = "a size of the model";
        Checks.range(command, "--input-size", inputSize, 1, Integer.MAX_VALUE, why);
        Checks.range(command, "--in-channels", inChannels, 1, Integer.MAX_VALUE, why);
        Checks.range(command, "--num-classes", numClasses, 1, Integer.MAX_VALUE, why);
        Checks.range(command, "--patch", patch, 1, Integer.MAX_VALUE, why);
        Checks.range(command, "--depth", depth, 1, Integer.MAX_VALUE, why);
        Checks.range(command, "--width", width, 1, Integer.MAX_VALUE, why);
        Checks.range(command, "--heads", heads, 1, Integer.MAX_VALUE, why);
        if (mlpRatio != null) Checks.finitePositive(command, "--mlp-ratio", mlpRatio);
    }

    /** Whether any size is overridden. */
    boolean any() {
        return !given().isEmpty();
    }

    /**
     * Whether the network itself changes: input side, channels and classes only change the data a named size takes,
     * the others make a custom architecture.
     */
    boolean reshapes() {
        return patch != null || depth != null || width != null || heads != null || mlpRatio != null;
    }

    /** {@code c} with the overrides applied; an impossible combination is an IllegalArgumentException naming them. */
    DiTConfig apply(DiTConfig c) {
        return any() ? build(c, c.inChannels(), c.inputSize(), c.numClasses()) : c;
    }

    /**
     * {@code c} for a dataset of {@code channels x side x side} records and {@code classes} classes: the overrides
     * win, then the dataset's channels, side and classes, then {@code c}'s.
     */
    DiTConfig applyForData(DiTConfig c, int channels, int side, int classes) {
        return build(c, channels, side, classes);
    }

    private DiTConfig build(DiTConfig c, int channels, int side, int classes) {
        checkRanges();
        try {
            return new DiTConfig(or(inputSize, side), or(patch, c.patchSize()), or(inChannels, channels),
                    or(width, c.hiddenSize()), or(depth, c.depth()), or(heads, c.numHeads()), or(numClasses, classes),
                    c.learnSigma(), c.classDropoutProb(), mlpRatio != null ? mlpRatio : c.mlpRatio(), c.dynamic());
        } catch (IllegalArgumentException e) {
            if (!any()) throw e;
            throw new IllegalArgumentException(String.join(" ", given()) + ": " + e.getMessage(), e);
        }
    }

    /** Fails, naming the overrides given, when there are any: {@code reason} says why they do not apply. */
    void requireNone(String reason) {
        if (any()) throw new IllegalArgumentException(String.join(" ", given()) + ": " + reason);
    }

    /** The overrides given, as options with their values. */
    List<String> given() {
        List<String> g = new ArrayList<>();
        add(g, "--input-size", inputSize);
        add(g, "--in-channels", inChannels);
        add(g, "--num-classes", numClasses);
        add(g, "--patch", patch);
        add(g, "--depth", depth);
        add(g, "--width", width);
        add(g, "--heads", heads);
        add(g, "--mlp-ratio", mlpRatio);
        return g;
    }

    private static void add(List<String> g, String name, Number v) {
        if (v != null) g.add(name + " " + v);
    }

    private static int or(Integer v, int dflt) {
        return v != null ? v : dflt;
    }
}
