package org.dydit.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code dydit prep ...}: the dataset preparation Spark job. Everything after {@code prep} goes
 * unchanged to the data-prep job's own parser ({@code org.dydit.prep.PrepMain}), which prints its own
 * help for {@code dydit prep --help}.
 */
@Command(name = "prep", description = "Prepare a dataset (Spark job): images to a sharded latent dataset. "
        + "See 'dydit prep --help'.")
final class PrepCommand implements Callable<Integer> {

    static final String PREP_MAIN = "org.dydit.prep.PrepMain";

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Method run;
        try {
            run = Class.forName(PREP_MAIN).getMethod("run", String[].class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException("the data-prep job is not in this build (" + PREP_MAIN + ".run missing)");
        }
        try {
            return (Integer) run.invoke(null, (Object) args.toArray(new String[0]));
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) throw ex;
            throw (Error) cause;
        }
    }
}
