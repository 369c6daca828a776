package org.dydit.testkit;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Makes test JVMs load ND4J's plain {@code linux-x86_64} natives on a CPU without AVX-512, as bin/dydit and the
 * Spark executors do (org.dydit.jobs.NativeVariant): the build puts the {@code onednn-avx512} natives on every
 * test classpath, JavaCPP prefers them, and on such a CPU the first ND4J call dies with SIGILL. Registered as a
 * JUnit launcher session listener (META-INF/services), so it runs before any test class touches ND4J. A
 * {@code org.bytedeco.javacpp.platform.extension} given on the command line is left alone.
 */
public final class PlainNativesOnOldCpus implements LauncherSessionListener {
    static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (System.getProperty(EXTENSION_PROPERTY) != null) return;
        String force = System.getenv("DYDIT_FORCE_NO_AVX512");
        boolean forced = "1".equals(force) || "true".equalsIgnoreCase(force);
        if (forced || !hasAvx512f()) System.setProperty(EXTENSION_PROPERTY, "-");   // "-": no variant matches
    }

    /** The options a child JVM of a test needs to load the natives this JVM chose. */
    public static java.util.List<String> childJvmOptions() {
        String ext = System.getProperty(EXTENSION_PROPERTY);
        return ext == null ? java.util.List.of() : java.util.List.of("-D" + EXTENSION_PROPERTY + "=" + ext);
    }

    private static boolean hasAvx512f() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!System.getProperty("os.arch", "").matches("amd64|x86_64") || !Files.isReadable(cpuinfo)) return true;
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags")) return (" " + line.substring(line.indexOf(':') + 1) + " ").contains(" avx512f ");
            }
        } catch (IOException e) {
            return true;   // unknown: keep JavaCPP's own choice
        }
        return true;
    }
}
