package org.dydit.prep.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Value checks of command-line options, for every dydit command: a bad value is a usage error (exit 2) that names the
 * option, the allowed range and the value.
 */
public final class Checks {
    private Checks() {}

    /** {@code ok} or a usage error: "OPTION must be RANGE, got VALUE". */
    public static void require(CommandSpec cmd, String option, Object value, boolean ok, String range) {
        if (!ok) throw new ParameterException(cmd.commandLine(), option + " must be " + range + ", got " + value);
    }

    public static String choice(CommandSpec cmd, String option, String value, String... allowed) {
        for (String a : allowed) if (a.equals(value)) return value;
        throw new ParameterException(cmd.commandLine(),
                option + " must be one of " + String.join("|", allowed) + ", got '" + value + "'");
    }

    /** An option given ({@code value} not null) must be at least {@code min}. */
    public static void atLeast(CommandSpec cmd, String option, Integer value, int min) {
        if (value != null && value < min) {
            throw new ParameterException(cmd.commandLine(), option + " must be at least " + min + ", got " + value);
        }
    }

    /** An option given ({@code value} not null) must lie in {@code min..max}; {@code why} (may be null) explains the maximum. */
    public static void range(CommandSpec cmd, String option, Long value, long min, long max, String why) {
        if (value != null && (value < min || value > max)) {
            throw new ParameterException(cmd.commandLine(), option + " must be in " + min + ".." + max
                    + (why == null ? "" : " (" + why + ")") + ", got " + value);
        }
    }

    public static void range(CommandSpec cmd, String option, Integer value, long min, long max, String why) {
        range(cmd, option, value == null ? null : value.longValue(), min, max, why);
    }

    public static void positive(CommandSpec cmd, String option, double value) {
        if (!(value > 0)) {
            throw new ParameterException(cmd.commandLine(), option + " must be a positive number, got '" + value + "'");
        }
    }

    /** A finite number above 0. */
    public static void finitePositive(CommandSpec cmd, String option, double value) {
        if (!Double.isFinite(value) || !(value > 0)) {
            throw new ParameterException(cmd.commandLine(), option + " must be a finite positive number, got '" + value + "'");
        }
    }

    /** A finite number of at least {@code min} (NaN and infinities are refused). */
    public static void finiteAtLeast(CommandSpec cmd, String option, double value, double min) {
        if (!Double.isFinite(value) || value < min) {
            throw new ParameterException(cmd.commandLine(), option + " must be a finite number of at least " + min
                    + ", got '" + value + "'");
        }
    }
}
