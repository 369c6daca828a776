/**
 * {@code dydit prep} on picocli: {@link org.dydit.prep.cli.PrepCommand} and one subcommand per preprocessing job
 * ({@code fmnist}, {@code images}, {@code import-npy}), their shared dataset options and value checks. The jobs
 * themselves are in {@code org.dydit.prep.job}; the command line of the other dydit commands is in the jobs module.
 */
package org.dydit.prep.cli;
