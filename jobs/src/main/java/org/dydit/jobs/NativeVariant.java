package org.dydit.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Picks ND4J's CPU natives before ND4J loads. The build ships the {@code linux-x86_64-onednn-avx512}
 * natives and, as ND4J's POM always adds it, the plain {@code linux-x86_64} ones; JavaCPP prefers the
 * most specific variant on the classpath, which would crash on a CPU without AVX-512. Setting JavaCPP's
 * {@code org.bytedeco.javacpp.platform.extension} to {@code "-"} (an extension no jar provides) makes it
 * fall back to the unsuffixed {@code linux-x86_64} directory. bin/dydit does the same for the JVMs it
 * starts; this covers Spark executors on other machines, which call it before their first ND4J use.
 */
public final class NativeVariant {

    public static final String EXTENSION_PROPERTY = "org.bytedeco.javacpp.platform.extension";
    /** Extension that matches no packaged variant, leaving only the plain natives. */
    public static final String PLAIN = "-";
    /** Environment switch to force the plain natives (for testing the fallback). */
    public static final String FORCE_ENV = "DYDIT_FORCE_NO_AVX512";

    private NativeVariant() {
    }

    /**
     * Chooses the plain natives when AVX-512 is missing or the fallback is forced, unless the user
     * already named an extension. Returns the extension now in force, or null for JavaCPP's default.
     */
    public static synchronized String selectForThisCpu() {
        String current = System.getProperty(EXTENSION_PROPERTY);
        if (current != null) return current;
        if (needsPlain(System.getenv(FORCE_ENV), System.getProperty("os.name"), System.getProperty("os.arch"),
                readCpuinfo())) {
            System.setProperty(EXTENSION_PROPERTY, PLAIN);
            return PLAIN;
        }
        return null;
    }

    /** The decision, separated from the environment so it can be tested. */
    static boolean needsPlain(String forceEnv, String osName, String osArch, String cpuinfo) {
        if ("1".equals(forceEnv) || "true".equalsIgnoreCase(forceEnv)) return true;
        boolean linuxX86 = osName != null && osName.toLowerCase(Locale.ROOT).startsWith("linux")
                && ("amd64".equals(osArch) || "x86_64".equals(osArch));
        if (!linuxX86 || cpuinfo == null) return false;   // unknown: keep JavaCPP's choice
        return !hasAvx512f(cpuinfo);
    }

    /** True when the {@code flags} line of /proc/cpuinfo lists {@code avx512f}. */
    public static boolean hasAvx512f(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("flags")) {
                for (String flag : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                    if (flag.equals("avx512f")) return true;
                }
                return false;
            }
        }
        return false;
    }

    private static String readCpuinfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
