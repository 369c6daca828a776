package org.dydit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a copy of bin/dydit installed in a throw-away project folder, with a clean environment. */
final class Launcher {

    static Path repoRoot() {
        String root = System.getProperty("dydit.root");
        Path p = root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
        if (!Files.isRegularFile(p.resolve("bin/dydit"))) {
            throw new IllegalStateException("bin/dydit not found under " + p + " (system property dydit.root)");
        }
        return p;
    }

    /** A project folder holding bin/dydit and conf/ from this repository, and no build yet. */
    static Path installScript(Path home) throws IOException {
        Path root = repoRoot();
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("jobs/target"));
        Path script = home.resolve("bin/dydit");
        Files.copy(root.resolve("bin/dydit"), script, StandardCopyOption.REPLACE_EXISTING);
        script.toFile().setExecutable(true);
        Files.copy(root.resolve("conf/log4j2.properties"), home.resolve("conf/log4j2.properties"), StandardCopyOption.REPLACE_EXISTING);
        return home;
    }

    /** Writes the build outputs bin/dydit reads: the app jar and classpath.txt. */
    static void writeBuild(Path home, Path appJar, List<Path> classpath) throws IOException {
        Path target = home.resolve("jobs/target");
        if (!appJar.getParent().equals(target)) {
            Files.copy(appJar, target.resolve("dydit-jobs-0.1.0-SNAPSHOT.jar"), StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> cp = new ArrayList<>();
        for (Path p : classpath) cp.add(p.toString());
        Files.writeString(target.resolve("classpath.txt"), String.join(":", cp));
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return Arrays.asList(out.split("\n"));
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    static Result run(Path home, Map<String, String> env, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/dydit").toString());
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("SPARK_") || k.startsWith("DYDIT_") || k.startsWith("MALLOC_"));
        e.putAll(env);
        Path out = Files.createTempFile(home, "stdout", ".txt");
        Path err = Files.createTempFile(home, "stderr", ".txt");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("bin/dydit " + String.join(" ", args) + " ran over " + timeoutSeconds + " s:\n"
                    + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
