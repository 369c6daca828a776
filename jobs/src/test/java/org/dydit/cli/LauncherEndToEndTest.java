package org.dydit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.jobs.NativeVariant;
import org.dydit.model.DiTConfig;
import org.dydit.model.flops.DiTFlops;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/dydit for real: a project folder whose build is this module's classes (as a jar) and its test
 * classpath, running local commands in their own JVM and a Spark job through the embedded
 * SparkSubmit. The forced fallback must map the plain linux-x86_64 libnd4jcpu.
 */
class LauncherEndToEndTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path home;

    @BeforeAll
    static void install() throws IOException {
        home = Launcher.installScript(tmp.resolve("dydit"));
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<Path> deps = new ArrayList<>();
        Path classes = null;
        for (String e : cp.split(File.pathSeparator)) {
            if (e.isEmpty()) continue;
            Path p = Path.of(e);
            if (p.endsWith(Path.of("jobs/target/classes"))) {
                classes = p;
            } else if (Files.isDirectory(p)) {
                // Executors of local-cluster take jar files only: pack other modules' class folders.
                Path packed = tmp.resolve("jars").resolve(p.toString().replaceAll("[^A-Za-z0-9.]+", "-") + ".jar");
                Files.createDirectories(packed.getParent());
                jar(p, packed);
                deps.add(packed);
            } else {
                deps.add(p);
            }
        }
        if (classes == null) throw new IllegalStateException("jobs/target/classes not on the test classpath: " + cp);
        Path app = home.resolve("jobs/target/dydit-jobs-0.1.0-SNAPSHOT.jar");
        jar(classes, app);
        Launcher.writeBuild(home, app, deps);
    }

    private static void jar(Path classes, Path jar) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    @Test
    void flopsRunsInItsOwnJvm() throws Exception {
        Launcher.Result r = Launcher.run(home, Map.of(), 120, "flops", "--model", "DiT-B/2");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        assertEquals(DiTFlops.of(DiTConfig.preset("DiT-B/2")).totalMacs(), j.get("macs").asLong());
    }

    @Test
    void defaultNativesFollowTheCpu() throws Exception {
        Launcher.Result r = Launcher.run(home, Map.of(), 300, "backend");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        String libs = j.get("native_libraries").toString();
        boolean avx512 = NativeVariant.hasAvx512f(Files.readString(Path.of("/proc/cpuinfo")));
        assertEquals(avx512, libs.contains("linux-x86_64-onednn-avx512/libnd4jcpu.so"), r::toString);
        assertEquals("ok", j.get("check").asText());
    }

    @Test
    void forcedFallbackLoadsThePlainNatives() throws Exception {
        Launcher.Result r = Launcher.run(home, Map.of("DYDIT_FORCE_NO_AVX512", "1"), 300, "backend");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        String libs = j.get("native_libraries").toString();
        assertTrue(libs.contains("/linux-x86_64/libnd4jcpu.so"), r::toString);
        assertFalse(libs.contains("avx512"), r::toString);
        assertEquals("-", j.get("platform_extension").asText());
        assertEquals("ok", j.get("check").asText());
    }

    /** Tasks in the driver JVM: local[2] with 2 cpus per task runs one task at a time on 2 threads. */
    @Test
    void sparkCheckSetsThreadsPerTask() throws Exception {
        Launcher.Result r = Launcher.run(home, Map.of(), 300, "spark-check", "--tasks", "2",
                "--master", "local[2]", "--conf", "spark.task.cpus=2", "--conf", "spark.ui.enabled=false");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        assertTrue(j.get("ok").asBoolean(), r::toString);
        assertEquals(2, j.get("tasks").size(), r::toString);
        for (JsonNode t : j.get("tasks")) {
            assertEquals(2, t.get("threads").asInt(), r::toString);
            assertEquals(2, t.get("ompThreads").asInt(), r::toString);
        }
    }

    /**
     * Executors in their own JVMs (local-cluster, started from the SPARK_HOME bin/dydit links up) with the
     * fallback forced: they must load the plain natives and give each task cores / concurrent tasks.
     */
    @Test
    void localClusterExecutorsGetTheFallbackAndTheirThreads() throws Exception {
        Launcher.Result r = Launcher.run(home, Map.of("DYDIT_FORCE_NO_AVX512", "1"), 400, "spark-check", "--tasks", "2",
                "--master", "local-cluster[1,2,1024]", "--conf", "spark.ui.enabled=false");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        assertTrue(j.get("ok").asBoolean(), r::toString);
        for (JsonNode t : j.get("tasks")) {
            assertFalse(t.get("executor").asText().equals("driver"), "ran in an executor JVM: " + r);
            assertEquals(1, t.get("threads").asInt(), "2 cores, 2 tasks at once: " + r);
            assertTrue(t.get("vectorApi").asBoolean(), "executors get jdk.incubator.vector: " + r);
            String libs = t.get("natives").toString();
            assertTrue(libs.contains("/linux-x86_64/libnd4jcpu.so") && !libs.contains("avx512"), r::toString);
        }
    }

    /**
     * The installed-Spark path: a stand-in SPARK_HOME whose jars/ holds Spark and its dependencies and
     * whose bin/spark-submit runs SparkSubmit from them. Our code then reaches the driver only through
     * the app jar and --jars, as on a real installation.
     */
    @Test
    void anInstalledSparkGetsOurCodeThroughJars() throws Exception {
        Path spark = tmp.resolve("spark-4.1");
        Files.createDirectories(spark.resolve("jars"));
        Files.createDirectories(spark.resolve("bin"));
        String ours = ".*/(org/nd4j|org/bytedeco|info/picocli|com/twelvemonkeys|com/google/flatbuffers|org/dydit|org/junit|org/opentest4j|org/apiguardian)/.*";
        for (String e : Files.readString(home.resolve("jobs/target/classpath.txt")).split(":")) {
            Path j = Path.of(e);
            if (e.contains("/repository/") && !e.matches(ours)) {
                Files.createSymbolicLink(spark.resolve("jars").resolve(j.getFileName()), j);
            }
        }
        Path submit = spark.resolve("bin/spark-submit");
        Files.writeString(submit, "#!/usr/bin/env bash\nexec java --add-opens=java.base/java.nio=ALL-UNNAMED "
                + "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED -cp \"$SPARK_HOME/jars/*\" "
                + "org.apache.spark.deploy.SparkSubmit \"$@\"\n");
        submit.toFile().setExecutable(true);
        Launcher.Result r = Launcher.run(home, Map.of("SPARK_HOME", spark.toString()), 300, "spark-check", "--tasks", "1",
                "--master", "local[1]", "--conf", "spark.ui.enabled=false");
        assertEquals(0, r.code(), r::toString);
        JsonNode j = JSON.readTree(r.out());
        assertTrue(j.get("ok").asBoolean(), r::toString);
        assertTrue(j.at("/tasks/0/natives").toString().contains("libnd4jcpu.so"), r::toString);
    }

    /** A Spark job through SparkSubmit from the project's classpath, local master, real data. */
    @Test
    void prepRunsAsASparkApplication() throws Exception {
        Path out = tmp.resolve("fmnist");
        Launcher.Result r = Launcher.run(home, Map.of(), 300, "prep", "fmnist", "--out", out.toString(),
                "--limit", "64", "--master", "local[2]", "--conf", "spark.ui.enabled=false");
        assertEquals(0, r.code(), r::toString);
        assertTrue(Files.isRegularFile(out.resolve("manifest.json")), r::toString);
        try (Stream<Path> parts = Files.list(out)) {
            assertTrue(parts.anyMatch(p -> p.getFileName().toString().startsWith("part-")), r::toString);
        }

        Launcher.Result bad = Launcher.run(home, Map.of(), 300, "prep", "fmnist", "--out", tmp.resolve("x").toString(),
                "--split", "validation");
        assertEquals(2, bad.code(), "the job's usage error is the process's exit code: " + bad);
    }
}
