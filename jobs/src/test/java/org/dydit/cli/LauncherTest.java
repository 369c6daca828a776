package org.dydit.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/dydit's decisions, read from its dry run (DYDIT_DRY_RUN=1 prints the environment it sets and the
 * command, one word a line) over a fake build whose jars are empty files with Maven-repository paths.
 */
class LauncherTest {
    private static final String INLINE_VECTOR_HELPERS = "-XX:CompileCommand=inline,org.dydit.kernels.VecMath::*";


    @TempDir
    Path tmp;
    Path home;
    Path appJar;
    Path plainNatives;
    Path avx512Natives;
    Path sparkCore;
    Path jackson;
    Path picocli;
    Path nd4jGuava;

    @BeforeEach
    void fakeBuild() throws Exception {
        home = Launcher.installScript(tmp.resolve("dydit"));
        Path repo = tmp.resolve("m2/repository");
        plainNatives = jar(repo, "org/nd4j/nd4j-native/1.0.0-M2.1/nd4j-native-1.0.0-M2.1-linux-x86_64.jar");
        avx512Natives = jar(repo, "org/nd4j/nd4j-native/1.0.0-M2.1/nd4j-native-1.0.0-M2.1-linux-x86_64-onednn-avx512.jar");
        sparkCore = jar(repo, "org/apache/spark/spark-core_2.13/4.1.3/spark-core_2.13-4.1.3.jar");
        jackson = jar(repo, "com/fasterxml/jackson/core/jackson-databind/2.21.2/jackson-databind-2.21.2.jar");
        picocli = jar(repo, "info/picocli/picocli/4.7.7/picocli-4.7.7.jar");
        nd4jGuava = jar(repo, "org/nd4j/guava/1.0.0-M2.1/guava-1.0.0-M2.1.jar");
        appJar = jar(home, "jobs/target/dydit-jobs-0.1.0-SNAPSHOT.jar");
        Launcher.writeBuild(home, appJar, List.of(plainNatives, avx512Natives, sparkCore, jackson, picocli, nd4jGuava));
    }

    private static Path jar(Path base, String rel) throws Exception {
        Path p = base.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[0]);
        return p;
    }

    private Launcher.Result dry(Map<String, String> env, String... args) throws Exception {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("DYDIT_DRY_RUN", "1");
        // the launcher's choice of natives follows the CPU: pin it to one with AVX-512 unless a test names another
        e.putIfAbsent("DYDIT_CPUINFO", cpuinfo("fpu sse2 avx2 avx512f avx512bw").toString());
        return Launcher.run(home, e, 30, args);
    }

    private Path cpuinfo(String flags) throws IOException {
        Path f = Files.createTempFile(home, "cpuinfo", "");
        Files.writeString(f, "processor\t: 0\nflags\t\t: " + flags + "\n");
        return f;
    }

    @Test
    void aCpuWithoutAvx512GetsThePlainNatives() throws Exception {
        Launcher.Result r = dry(Map.of("DYDIT_CPUINFO", cpuinfo("fpu sse2 avx2").toString()), "backend");
        assertEquals(0, r.code(), r::toString);
        String cp = String.join(" ", argv(r));
        assertTrue(cp.contains("-Dorg.bytedeco.javacpp.platform.extension=-"), cp);
        assertFalse(cp.contains(avx512Natives.toString()), cp);
        assertTrue(dry(Map.of(), "backend").lines().stream().anyMatch(l -> l.contains(avx512Natives.toString())),
                "with AVX-512 the onednn-avx512 natives stay");
    }

    /** The words of the command, without the env: lines. */
    private static List<String> argv(Launcher.Result r) {
        List<String> a = new ArrayList<>();
        for (String l : r.lines()) if (!l.startsWith("env:")) a.add(l);
        return a;
    }

    private static List<String> after(List<String> argv, String marker) {
        int i = argv.indexOf(marker);
        assertTrue(i >= 0, marker + " not in " + argv);
        return argv.subList(i + 1, argv.size());
    }

    private static String classpath(List<String> argv) {
        return argv.get(argv.indexOf("-cp") + 1);
    }

    @Test
    void localCommandsRunMainDirectly() throws Exception {
        Launcher.Result r = dry(Map.of(), "flops", "--model", "DiT-S/2");
        assertEquals(0, r.code(), r::toString);
        List<String> a = argv(r);
        assertTrue(a.get(0).endsWith("java"), a::toString);
        assertFalse(a.contains("org.apache.spark.deploy.SparkSubmit"), a::toString);
        assertEquals(List.of("flops", "--model", "DiT-S/2"), after(a, "org.dydit.cli.Main"));
        assertTrue(classpath(a).startsWith(appJar.toString() + ":"), a::toString);
        assertTrue(a.stream().anyMatch(s -> s.equals("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")), a::toString);
        assertTrue(a.contains(INLINE_VECTOR_HELPERS) && a.contains("-XX:CompileCommand=quiet"), a::toString);
        assertTrue(r.lines().contains("env:MALLOC_MMAP_THRESHOLD_=33554432"), r::toString);
        assertTrue(r.lines().contains("env:OMP_WAIT_POLICY=PASSIVE"), r::toString);
    }

    @Test
    void sparkJobsGoThroughTheEmbeddedSparkSubmitWithOptionsFromAnywhere() throws Exception {
        Launcher.Result r = dry(Map.of(), "--executor-memory=3g", "prep", "fmnist", "--out", "/data/fm",
                "--master", "local[3]", "--conf", "spark.task.cpus=1", "--driver-memory", "2g", "--limit", "10");
        assertEquals(0, r.code(), r::toString);
        List<String> a = argv(r);
        assertTrue(a.contains("-Xmx2g"), "driver memory becomes the driver JVM's heap: " + a);
        List<String> submit = after(a, "org.apache.spark.deploy.SparkSubmit");
        List<String> app = after(submit, appJar.toString());
        assertEquals(List.of("prep", "fmnist", "--out", "/data/fm", "--limit", "10"), app);
        List<String> spark = submit.subList(0, submit.indexOf(appJar.toString()));
        assertTrue(containsPair(spark, "--master", "local[3]"), spark::toString);
        assertTrue(containsPair(spark, "--executor-memory", "3g"), spark::toString);
        assertTrue(containsPair(spark, "--conf", "spark.task.cpus=1"), spark::toString);
        assertTrue(containsPair(spark, "--conf", "spark.executor.defaultJavaOptions=-XX:CompileCommand=quiet "
                + INLINE_VECTOR_HELPERS), "executors inline the vector helpers too: " + spark);
        assertTrue(a.contains(INLINE_VECTOR_HELPERS), a::toString);
        assertTrue(containsPair(spark, "--class", "org.dydit.cli.Main"), spark::toString);
        assertFalse(spark.contains("--jars"), "local master: everything is already on the classpath " + spark);
        assertTrue(r.lines().contains("env:SPARK_LOCAL_IP=127.0.0.1"), r::toString);
        assertFalse(spark.contains("spark.ui.showConsoleProgress=true"), "prep prints its own progress line: " + spark);
    }

    @Test
    void defaultMasterIsLocalStar() throws Exception {
        List<String> a = argv(dry(Map.of(), "prep", "fmnist", "--out", "x"));
        assertTrue(containsPair(after(a, "org.apache.spark.deploy.SparkSubmit"), "--master", "local[*]"), a::toString);
    }

    @Test
    void aBareDoubleDashEndsSparkOptions() throws Exception {
        List<String> a = argv(dry(Map.of(), "prep", "fmnist", "--", "--name", "mine"));
        assertEquals(List.of("prep", "fmnist", "--name", "mine"), after(a, appJar.toString()));
    }

    @Test
    void remoteMastersShipOurJarsButNotSparks() throws Exception {
        Launcher.Result r = dry(Map.of(), "prep", "fmnist", "--master", "spark://head:7077", "--jars", "/opt/extra.jar");
        List<String> a = argv(r);
        List<String> jars = Arrays.asList(a.get(a.indexOf("--jars") + 1).split(","));
        assertTrue(jars.contains(picocli.toString()) && jars.contains(plainNatives.toString()), jars::toString);
        assertTrue(jars.contains("/opt/extra.jar"), jars::toString);
        assertFalse(jars.contains(sparkCore.toString()), jars::toString);
        assertFalse(r.out().contains("env:SPARK_LOCAL_IP"), "a cluster master needs a routable address: " + r);
    }

    @Test
    void anInstalledSpark41IsUsedAndGivenOnlyWhatItLacks() throws Exception {
        Path spark = tmp.resolve("spark");
        Path submit = jar(spark, "bin/spark-submit");
        submit.toFile().setExecutable(true);
        jar(spark, "jars/spark-core_2.13-4.1.2.jar");
        jar(spark, "jars/jackson-databind-2.21.2.jar");
        jar(spark, "jars/guava-32.0.0-jre.jar");
        Launcher.Result r = dry(Map.of("SPARK_HOME", spark.toString()), "prep", "fmnist", "--out", "x");
        assertEquals(0, r.code(), r::toString);
        List<String> a = argv(r);
        assertEquals(submit.toString(), a.get(0));
        List<String> jars = Arrays.asList(a.get(a.indexOf("--jars") + 1).split(","));
        assertTrue(jars.contains(picocli.toString()) && jars.contains(plainNatives.toString()), jars::toString);
        assertTrue(jars.contains(nd4jGuava.toString()), "same artifact name, another library: " + jars);
        assertFalse(jars.contains(sparkCore.toString()) || jars.contains(jackson.toString()), "Spark's own: " + jars);
        assertFalse(a.contains("--master"), "the installation's defaults choose the master: " + a);
        assertEquals(List.of("prep", "fmnist", "--out", "x"), after(a, appJar.toString()));
    }

    @Test
    void anotherSparkVersionFallsBackToTheEmbeddedOne() throws Exception {
        Path spark = tmp.resolve("spark35");
        jar(spark, "bin/spark-submit").toFile().setExecutable(true);
        jar(spark, "jars/spark-core_2.12-3.5.1.jar");
        Launcher.Result r = dry(Map.of("SPARK_HOME", spark.toString()), "prep", "fmnist");
        assertEquals(0, r.code(), r::toString);
        assertTrue(argv(r).contains("org.apache.spark.deploy.SparkSubmit"), r::toString);
        assertTrue(r.err().contains("not Spark 4.1"), r::toString);
    }

    @Test
    void forcedFallbackDropsTheAvx512NativesAndNamesThePlainVariant() throws Exception {
        Launcher.Result r = dry(Map.of("DYDIT_FORCE_NO_AVX512", "1"), "backend");
        assertEquals(0, r.code(), r::toString);
        List<String> a = argv(r);
        assertTrue(a.contains("-Dorg.bytedeco.javacpp.platform.extension=-"), a::toString);
        List<String> cp = Arrays.asList(classpath(a).split(":"));
        assertTrue(cp.contains(plainNatives.toString()), cp::toString);
        assertFalse(cp.contains(avx512Natives.toString()), cp::toString);

        Launcher.Result job = dry(Map.of("DYDIT_FORCE_NO_AVX512", "1"), "prep", "fmnist", "--master", "spark://head:7077");
        List<String> j = argv(job);
        assertTrue(containsPair(j, "--conf", "spark.executorEnv.DYDIT_FORCE_NO_AVX512=1"), j::toString);
        assertTrue(j.stream().anyMatch(s -> s.startsWith("spark.executor.extraJavaOptions=")
                && s.contains("-Dorg.bytedeco.javacpp.platform.extension=-")), j::toString);
    }

    @Test
    void executorJavaOptionsAreTheUsersOwn() throws Exception {
        List<String> none = argv(dry(Map.of(), "prep", "fmnist"));
        assertFalse(none.stream().anyMatch(s -> s.startsWith("spark.executor.extraJavaOptions")), none::toString);
        List<String> own = argv(dry(Map.of(), "prep", "fmnist", "--conf", "spark.executor.extraJavaOptions=-XX:+UseG1GC -Da=b"));
        assertTrue(containsPair(own, "--conf", "spark.executor.extraJavaOptions=-XX:+UseG1GC -Da=b"), own::toString);
    }

    @Test
    void localClusterGetsASparkHomeLinkingTheBuild() throws Exception {
        Launcher.Result r = dry(Map.of(), "spark-check", "--master", "local-cluster[2,1,1024]");
        assertEquals(0, r.code(), r::toString);
        Path sparkHome = home.resolve("jobs/target/spark-home");
        assertTrue(r.lines().contains("env:SPARK_HOME=" + sparkHome), r::toString);
        assertTrue(r.lines().contains("env:SPARK_SCALA_VERSION=2.13"), r::toString);
        for (Path j : List.of(appJar, picocli, avx512Natives)) {
            Path link = sparkHome.resolve("jars").resolve(j.getFileName());
            assertTrue(Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(j), link.toString());
        }
    }

    @Test
    void localCommandsRefuseSparkOptions() throws Exception {
        Launcher.Result r = dry(Map.of(), "flops", "--model", "DiT-S/2", "--master", "local[2]");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("flops") && r.err().contains("--master"), r::toString);
    }

    @Test
    void anUnbuiltTreeSaysHowToBuild() throws Exception {
        Files.delete(home.resolve("jobs/target/classpath.txt"));
        Launcher.Result r = dry(Map.of(), "flops", "--model", "DiT-S/2");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("mvn -DskipTests package"), r::toString);
    }

    @Test
    void aJarMissingFromTheRepositoryIsNamed() throws Exception {
        Files.delete(picocli);
        Launcher.Result r = dry(Map.of(), "flops", "--model", "DiT-S/2");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains(picocli.toString()), r::toString);
    }

    private static boolean containsPair(List<String> a, String key, String value) {
        for (int i = 0; i + 1 < a.size(); i++) {
            if (a.get(i).equals(key) && a.get(i + 1).equals(value)) return true;
        }
        return false;
    }
}
