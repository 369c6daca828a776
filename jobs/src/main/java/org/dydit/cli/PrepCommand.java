package org.dydit.cli;

import org.dydit.prep.PrepMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code dydit prep ...}: the dataset preparation Spark jobs. Everything after {@code prep} goes
 * unchanged to the data-prep job's own parser ({@link PrepMain}), which prints its own help for
 * {@code dydit prep --help} and returns the same exit codes (0 done, 1 failed, 2 bad command line).
 */
@Command(name = "prep", description = "Prepare a dataset (Spark job): fmnist, images or import-npy into a sharded "
        + "latent dataset. See 'dydit prep --help'.")
final class PrepCommand implements Callable<Integer> {

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return PrepMain.run(args.toArray(new String[0]));
    }
}
