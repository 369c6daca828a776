package org.dydit.cli;

import org.dydit.jobs.NativeVariant;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dydit backend}: loads ND4J, runs one small product, and reports which backend and which
 * native library file the process actually mapped (from /proc/self/maps), so a user can check that
 * the AVX-512 natives, the plain fallback or a GPU backend is the one in use.
 */
@Command(name = "backend", mixinStandardHelpOptions = true,
        description = "Print the ND4J backend and native library in use, and its thread counts, as JSON.")
final class BackendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        INDArray a = Nd4j.rand(8, 8);
        double check = a.mmul(a).sumNumber().doubleValue();   // forces the natives to load and run
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("backend", Nd4j.getBackend().getClass().getName());
        r.put("native_libraries", mappedNativeLibraries());
        r.put("platform_extension", System.getProperty(NativeVariant.EXTENSION_PROPERTY));
        r.put("cpu_avx512f", cpuHasAvx512f());
        r.put("max_threads", Nd4j.getEnvironment().maxThreads());
        r.put("max_master_threads", Nd4j.getEnvironment().maxMasterThreads());
        r.put("blas_threads", Nd4j.factory().blas().getMaxThreads());
        r.put("omp_threads", NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
        r.put("environment", Nd4j.getExecutioner().getEnvironmentInformation().toString());
        r.put("check", Double.isFinite(check) ? "ok" : "non-finite result");
        spec.commandLine().getOut().println(Json.write(r));
        return Main.EXIT_OK;
    }

    /** ND4J native libraries (libnd4jcpu, libnd4jcuda, jni glue) mapped into this process. */
    static List<String> mappedNativeLibraries() throws IOException {
        List<String> libs = new ArrayList<>();
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return libs;
        for (String line : Files.readAllLines(maps)) {
            int slash = line.indexOf('/');
            if (slash < 0) continue;
            String file = line.substring(slash);
            String base = file.substring(file.lastIndexOf('/') + 1);
            if ((base.startsWith("libnd4j") || base.startsWith("libjnind4j")) && !libs.contains(file)) {
                libs.add(file);
            }
        }
        return libs;
    }

    private static Boolean cpuHasAvx512f() {
        try {
            return NativeVariant.hasAvx512f(Files.readString(Path.of("/proc/cpuinfo")));
        } catch (IOException e) {
            return null;
        }
    }
}
