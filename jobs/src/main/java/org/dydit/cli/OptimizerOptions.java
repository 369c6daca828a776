package org.dydit.cli;

import org.dydit.prep.cli.Checks;

import org.dydit.train.TrainerSettings;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * The optimiser's options of the training commands, each overriding one value of the command's recipe (DiT's for
 * {@code train}, DyDiT's {@code paper} or {@code small} for {@code finetune}): AdamW's learning rate, betas, eps and
 * weight decay, the gradient clipping norm and the EMA decay. Every value is checked against its range here, so a
 * bad one is a usage error naming the option.
 */
final class OptimizerOptions {
    @Option(names = "--lr", paramLabel = "LR", description = "AdamW learning rate, > 0.")
    Double lr;

    @Option(names = "--beta1", paramLabel = "B1", description = "AdamW beta1, in [0, 1).")
    Double beta1;

    @Option(names = "--beta2", paramLabel = "B2", description = "AdamW beta2, in [0, 1).")
    Double beta2;

    @Option(names = "--adam-eps", paramLabel = "EPS", description = "AdamW epsilon, > 0.")
    Double adamEps;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW weight decay, >= 0.")
    Double weightDecay;

    @Option(names = "--clip-norm", paramLabel = "N", description = "Max gradient L2 norm, > 0; 0 turns clipping off.")
    Double clipNorm;

    @Option(names = "--ema-decay", paramLabel = "D", description = "EMA decay per step, in [0, 1].")
    Double emaDecay;

    /** The options given, with their values. */
    List<String> given() {
        List<String> g = new ArrayList<>();
        add(g, "--lr", lr);
        add(g, "--beta1", beta1);
        add(g, "--beta2", beta2);
        add(g, "--adam-eps", adamEps);
        add(g, "--weight-decay", weightDecay);
        add(g, "--clip-norm", clipNorm);
        add(g, "--ema-decay", emaDecay);
        return g;
    }

    /** {@code base} with the given options in its place; a value out of range is a usage error naming the option. */
    TrainerSettings apply(TrainerSettings base, CommandSpec spec) {
        Checks.require(spec, "--lr", lr, lr == null || lr > 0 && Double.isFinite(lr), "> 0");
        Checks.require(spec, "--beta1", beta1, beta1 == null || beta1 >= 0 && beta1 < 1, "in [0, 1)");
        Checks.require(spec, "--beta2", beta2, beta2 == null || beta2 >= 0 && beta2 < 1, "in [0, 1)");
        Checks.require(spec, "--adam-eps", adamEps, adamEps == null || adamEps > 0 && Double.isFinite(adamEps), "> 0");
        Checks.require(spec, "--weight-decay", weightDecay, weightDecay == null || weightDecay >= 0 && Double.isFinite(weightDecay), ">= 0");
        Checks.require(spec, "--clip-norm", clipNorm, clipNorm == null || clipNorm >= 0 && Double.isFinite(clipNorm), "> 0, or 0 for no clipping");
        Checks.require(spec, "--ema-decay", emaDecay, emaDecay == null || emaDecay >= 0 && emaDecay <= 1, "in [0, 1]");
        return new TrainerSettings(or(lr, base.lr()), or(beta1, base.beta1()), or(beta2, base.beta2()),
                or(adamEps, base.eps()), or(weightDecay, base.weightDecay()), or(clipNorm, base.clipNorm()),
                or(emaDecay, base.emaDecay()), base.seed());
    }

    /** Fails when any option is given: {@code reason} says why they do not apply. */
    void requireNone(CommandSpec spec, String reason) {
        if (!given().isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), String.join(" ", given()) + ": " + reason);
    }

    private static double or(Double v, double dflt) {
        return v != null ? v : dflt;
    }

    private static void add(List<String> g, String name, Number v) {
        if (v != null) g.add(name + " " + v);
    }
}
