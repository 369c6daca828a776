package org.dydit.prep.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Value checks of the prep options; a bad value is a usage error (exit 2) that names the option and the value. */
final class Checks {
    private Checks() {}

    static String choice(CommandSpec cmd, String option, String value, String... allowed) {
        for (String a : allowed) if (a.equals(value)) return value;
        throw new ParameterException(cmd.commandLine(),
                option + " must be one of " + String.join("|", allowed) + ", got '" + value + "'");
    }

    /** An option given ({@code value} not null) must be at least {@code min}. */
    static void atLeast(CommandSpec cmd, String option, Integer value, int min) {
        if (value != null && value < min) {
            throw new ParameterException(cmd.commandLine(), option + " must be at least " + min + ", got " + value);
        }
    }

    static void positive(CommandSpec cmd, String option, double value) {
        if (!(value > 0)) {
            throw new ParameterException(cmd.commandLine(), option + " must be a positive number, got '" + value + "'");
        }
    }
}
