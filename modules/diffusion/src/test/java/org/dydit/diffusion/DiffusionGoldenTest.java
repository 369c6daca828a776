package org.dydit.diffusion;

import org.dydit.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.dydit.testkit.Approx.F32_ATOL;
import static org.dydit.testkit.Approx.F32_RTOL;
import static org.dydit.testkit.Approx.assertClose;
import static org.dydit.testkit.Approx.assertExact;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The diffusion math against the reference PyTorch outputs in {@code $DYDIT_GOLDEN/diffusion}. */
class DiffusionGoldenTest {
    private static final double SCHEDULE_RTOL = 1e-12;
    private static final Set<String> COVERED = Set.of(
            "schedule.safetensors", "respaced.safetensors", "loss_case.safetensors", "sample_case.safetensors");

    private static Fixture open(String name) throws IOException {
        return new Fixture(Golden.path("diffusion/" + name));
    }

    @Test
    void everyFixtureFileIsCovered() throws IOException {
        try (Stream<Path> files = Files.list(Golden.path("diffusion"))) {
            Set<String> present = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors")).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(COVERED), present, "diffusion fixtures without a golden test (or missing)");
        }
    }

    @Test
    void schedule() throws IOException {
        GaussianDiffusion d = GaussianDiffusion.create("");
        try (Fixture f = open("schedule.safetensors")) {
            double[] betas = f.doubles("betas");
            assertEquals(betas.length, d.numTimesteps(), "steps");
            assertClose("betas", betas, d.betas(), 0, SCHEDULE_RTOL);
            // The plain linspace differs from the recomputed betas by rounding only.
            assertClose("linspace betas", betas, NoiseSchedule.linear(betas.length), 0, SCHEDULE_RTOL);
            assertClose("alphas_cumprod", f.doubles("alphas_cumprod"), d.alphasCumprod(), 0, SCHEDULE_RTOL);
            assertClose("posterior_variance", f.doubles("posterior_variance"), d.posteriorVariance(), 0, SCHEDULE_RTOL);
            assertClose("posterior_log_variance_clipped", f.doubles("posterior_log_variance_clipped"),
                    d.posteriorLogVarianceClipped(), 0, SCHEDULE_RTOL);
            assertClose("posterior_mean_coef1", f.doubles("posterior_mean_coef1"), d.posteriorMeanCoef1(), 0, SCHEDULE_RTOL);
            assertClose("posterior_mean_coef2", f.doubles("posterior_mean_coef2"), d.posteriorMeanCoef2(), 0, SCHEDULE_RTOL);
            f.assertAllRead();
        }
    }

    @Test
    void respaced() throws IOException {
        try (Fixture f = open("respaced.safetensors")) {
            GaussianDiffusion d250 = GaussianDiffusion.create("250");
            assertExact("timestep_map_250", toDoubles(f.ints("timestep_map_250")), toDoubles(d250.timestepMap()));
            assertClose("betas_250", f.doubles("betas_250"), d250.betas(), 0, SCHEDULE_RTOL);

            GaussianDiffusion ddim = GaussianDiffusion.create(ddimSpec(f));
            assertExact("timestep_map_ddim", toDoubles(f.ints("timestep_map_ddim")), toDoubles(ddim.timestepMap()));
            assertClose("betas_ddim", f.doubles("betas_ddim"), ddim.betas(), 0, SCHEDULE_RTOL);
            f.assertAllRead();
        }
    }

    @Test
    void hybridLoss() throws IOException {
        try (Fixture f = open("loss_case.safetensors")) {
            long[] shape = f.shape("x0");
            float[] x0 = f.floats("x0");
            float[] noise = f.floats("noise");
            int[] t = f.ints("t");
            float[] out = f.floats("model_output");
            GaussianDiffusion d = GaussianDiffusion.create("");
            float[] xT = d.qSample(x0, noise, t, shape);
            assertClose("x_t", f.floats("x_t"), xT, F32_ATOL, F32_RTOL);

            HybridLoss.Terms terms = new HybridLoss(d).compute(x0, xT, noise, t, out, shape, null, 1.0);
            assertClose("mse", toDoubles(f.floats("mse")), terms.mse, F32_ATOL, F32_RTOL);
            assertClose("vb", toDoubles(f.floats("vb")), terms.vb, F32_ATOL, F32_RTOL);
            assertClose("loss", toDoubles(f.floats("loss")), terms.loss, F32_ATOL, F32_RTOL);
            f.assertAllRead();
        }
    }

    @Test
    void samplerSteps() throws IOException {
        String ddimSpec;
        try (Fixture r = open("respaced.safetensors")) {
            ddimSpec = ddimSpec(r);
        }
        try (Fixture f = open("sample_case.safetensors")) {
            long[] shape = f.shape("x_t");
            float[] xT = f.floats("x_t");
            float[] out = f.floats("model_output");
            float[] noise = f.floats("noise");

            AncestralSampler ddpm = AncestralSampler.dit("250");
            int[] k = f.ints("k");
            assertExact("model_t_seen", toDoubles(f.ints("model_t_seen")),
                    toDoubles(ddpm.diffusion().originalTimesteps(k)));
            DiffusionSampler.Step step = ddpm.step(xT, shape, k, out, noise);
            assertClose("ddpm250_pred_xstart", f.floats("ddpm250_pred_xstart"), step.predXStart, F32_ATOL, F32_RTOL);
            assertClose("ddpm250_x_prev", f.floats("ddpm250_x_prev"), step.xPrev, F32_ATOL, F32_RTOL);

            DdimSampler ddim = new DdimSampler(GaussianDiffusion.create(ddimSpec), 0.0);
            DiffusionSampler.Step ds = ddim.step(xT, shape, f.ints("ddim_k"), out, noise);
            assertClose("ddim_x_prev", f.floats("ddim_x_prev"), ds.xPrev, F32_ATOL, F32_RTOL);
            f.assertAllRead();
        }
    }

    /** The DDIM respacing the fixture set was made with, e.g. "ddim50". */
    private static String ddimSpec(Fixture respaced) {
        String spec = respaced.metadata().get("ddim");
        assertNotNull(spec, "respaced.safetensors: __metadata__ has no \"ddim\" entry");
        return spec;
    }

    private static double[] toDoubles(int[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    private static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
