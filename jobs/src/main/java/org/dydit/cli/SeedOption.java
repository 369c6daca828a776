package org.dydit.cli;

import picocli.CommandLine.Option;

/**
 * {@code --seed S}: every random draw of a command (initial weights, data order, timesteps, noise, labels, router
 * weights) is a function of this seed, so the same command line gives the same result.
 */
final class SeedOption {
    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of the command's random draws; the same seed gives the same result (default ${DEFAULT-VALUE}).")
    long seed;

    long seed() {
        return seed;
    }
}
