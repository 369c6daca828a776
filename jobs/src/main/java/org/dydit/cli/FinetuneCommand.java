package org.dydit.cli;

import org.dydit.prep.cli.Checks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.dydit.conversion.DyDiTConversion;
import org.dydit.diffusion.AncestralSampler;
import org.dydit.diffusion.DdimSampler;
import org.dydit.engine.DiTParams;
import org.dydit.formats.AtomicFile;
import org.dydit.model.DiTInit;
import org.dydit.model.DiTModel;
import org.dydit.sample.TrajectoryFlops;
import org.dydit.train.DyDiTObjective;
import org.dydit.train.DyDiTRecipe;
import org.dydit.train.TrainCheckpoint;
import org.dydit.train.TrainCheckpoint.TrainData;
import org.dydit.train.Trainer;
import org.dydit.train.TrainerSettings;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code dydit finetune}: a pretrained DiT fine-tuned into a DyDiT (spec §3.5-3.9) on the one {@link Trainer} with
 * the {@link DyDiTObjective}: importance ordering and router initialisation ({@link DyDiTConversion}), stage 1 with
 * the complete model's loss, then stage 2, the λ_t ramp and the stratified timesteps ({@link DyDiTRecipe}). The
 * checkpoint folder holds, beside the training state, {@value #MANIFEST} (recipe, command, hashes of the data's
 * manifest and of the initial weights, git commit) and, at the end, {@value #SCHEDULE}: the widths and token keep
 * rates the EMA model takes along DDPM-250 and DDIM-50 trajectories ({@link TrajectoryFlops}).
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = {"Fine-tune a DiT into a DyDiT on the hand-written engine: routers initialised per the paper, "
                + "stage 1 with the complete model's loss, stage 2, the FLOPs target λ_t ramping to --lambda. "
                + "Writes the checkpoint folder --out: model/ (the EMA weights as a DyDiT model folder), train_state.*, "
                + "finetune.json (recipe, command, hashes, git commit) and width-schedule.json (heads, groups and token "
                + "keep rate per layer and sampling step for DDPM-250 and DDIM-50, with the FLOPs ratio).",
                "--init: a model folder, a 'dydit train' checkpoint folder, a PyTorch .pt (bare state dict or training "
                        + "checkpoint, --weights) or a safetensors state dict (reference or diffusers names), with --config "
                        + "for a file. A DyDiT folder is fine-tuned further as it is.",
                "--recipe paper (spec §3.9: lr 1e-4 or 2.5e-5 for λ >= 0.7, router biases 15/35, 30000 stage-1 steps, "
                        + "λ ramp 1000 or 5000, clip 200 or 50, EMA 0.9999) or small (short runs on small models: lr 1e-3, "
                        + "router biases 8, 50 stage-1 steps, λ_t held at 1 for 100 steps and then λ (ramp 100, which the hold covers), no clipping, EMA 0.95); "
                        + "each value has an option that overrides it.",
                "Progress lines (stderr): loss terms, λ_t, the FLOPs ratio of the step's routing decisions, s/step, ETA."})
final class FinetuneCommand implements Callable<Integer> {
    static final String MANIFEST = "finetune.json";
    static final String SCHEDULE = "width-schedule.json";
    static final String FORMAT = "dydit-finetune/1";
    /**
     * EMA decay of the small recipe. 0.99 was asked for; on the golden DiT (400 steps, batch 8, λ 0.5, seeds 0-2) its
     * EMA weights measured FLOPs ratios 0.69, 0.67 and 0.60 along DDPM-50 trajectories while the raw weights measured
     * 0.50: with a time constant of 100 steps the EMA still averages routers from before they settled. 0.95 measured
     * 0.52, 0.55 and 0.56, and still moves the EMA weights in a short run.
     */
    static final double SMALL_EMA_DECAY = 0.95;

    /** Exactly one of: --init (a new fine-tuning) or --resume (continue one). */
    static final class Start {
        @Option(names = "--init", paramLabel = "DIR|FILE", required = true,
                description = "The pretrained model: a model folder, a 'dydit train' checkpoint folder, a .pt or a .safetensors file.")
        Path init;

        @Option(names = "--resume", paramLabel = "DIR", required = true,
                description = "Continue a fine-tuning from its checkpoint folder (recipe, data and position come with it).")
        Path resume;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Start start;

    /** Exactly one of --steps and --budget. */
    static final class Length {
        @Option(names = "--steps", paramLabel = "N", required = true,
                description = "Fine-tune until this step count, >= 1 (with --resume: not below the checkpoint's step).")
        Long steps;

        @Option(names = "--budget", paramLabel = "F", required = true,
                description = "Steps as a fraction of the initial checkpoint's training iterations (the paper: < 3%%), in (0, 1]; "
                        + "the iterations come from --init-iterations, a .pt named by its step (0030000.pt) or a train checkpoint.")
        Double budget;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Length length;

    @Option(names = "--config", paramLabel = "FILE", description = "config.json of an --init weights file (a file holds no sizes).")
    Path config;

    @Option(names = "--weights", paramLabel = "ema|model", defaultValue = "ema",
            description = "Which weights of an --init training checkpoint (.pt): ema (default) or model.")
    String weights;

    @Option(names = "--init-iterations", paramLabel = "N", description = "Training iterations of the --init checkpoint, for --budget and the manifest.")
    Long initIterations;

    @Option(names = "--lambda", paramLabel = "L", description = "Target FLOPs ratio λ, in (0, 1] (required with --init).")
    Double lambda;

    @Option(names = "--recipe", paramLabel = "paper|small", defaultValue = "paper",
            description = "paper (default, spec §3.9) or small (short runs on small models).")
    String recipe;

    @Option(names = "--complete-steps", paramLabel = "N", description = "Steps of stage 1 (the complete model's loss added), >= 0.")
    Long completeSteps;

    @Option(names = "--hold-steps", paramLabel = "N", description = "Steps with λ_t = 1 before the ramp, >= 0.")
    Long holdSteps;

    @Option(names = "--ramp-steps", paramLabel = "W", description = "λ_t = 1 - (1 - λ)·step/W up to step W (the reference's ramp), >= 0.")
    Long rampSteps;

    @Option(names = "--tau", paramLabel = "T", description = "Gumbel-sigmoid temperature, > 0.")
    Double tau;

    @Option(names = "--flops-weight", paramLabel = "W", description = "Weight of the FLOPs loss, >= 0.")
    Double flopsWeight;

    @Option(names = "--stratified", negatable = true, description = "Timestep of sample i from quarter i mod 4 of [0, 1000) (both recipes: on).")
    Boolean stratified;

    @Option(names = "--width-router-bias", paramLabel = "B", description = "Initial bias of the head and channel-group routers (paper 15, small 8).")
    Double widthRouterBias;

    @Option(names = "--token-router-bias", paramLabel = "B", description = "Initial output bias of the token routers (paper 35, small 8).")
    Double tokenRouterBias;

    @Option(names = "--importance-order", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Put each block's heads and MLP channel groups in importance order first (default; --no-importance-order keeps the DiT's order).")
    boolean importanceOrder;

    @Option(names = "--schedule-n", paramLabel = "N", defaultValue = "8",
            description = "Samples whose DDPM-250 and DDIM-50 trajectories give " + SCHEDULE + ", >= 0 (0: not written; default ${DEFAULT-VALUE}).")
    int scheduleN;

    @Option(names = "--schedule-cfg", paramLabel = "SCALE", defaultValue = "1.5",
            description = "Guidance scale of those trajectories (default ${DEFAULT-VALUE}, the FID setting; <= 1: none).")
    double scheduleCfg;

    @Mixin
    TrainingRun.Options run;

    @Mixin
    OptimizerOptions optimizer;

    @Mixin
    SeedOption seed;

    @Spec
    CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The recipe's options given (all but the optimizer's), with their values. */
    private List<String> recipeOptions() {
        List<String> g = new ArrayList<>();
        if (lambda != null) g.add("--lambda " + lambda);
        if (spec.commandLine().getParseResult().hasMatchedOption("--recipe")) g.add("--recipe " + recipe);
        if (completeSteps != null) g.add("--complete-steps " + completeSteps);
        if (holdSteps != null) g.add("--hold-steps " + holdSteps);
        if (rampSteps != null) g.add("--ramp-steps " + rampSteps);
        if (tau != null) g.add("--tau " + tau);
        if (flopsWeight != null) g.add("--flops-weight " + flopsWeight);
        if (stratified != null) g.add("--" + (stratified ? "" : "no-") + "stratified");
        if (widthRouterBias != null) g.add("--width-router-bias " + widthRouterBias);
        if (tokenRouterBias != null) g.add("--token-router-bias " + tokenRouterBias);
        if (config != null) g.add("--config " + config);
        if (initIterations != null) g.add("--init-iterations " + initIterations);
        g.addAll(optimizer.given());
        return g;
    }

    /** The recipe: {@code --recipe}'s values, each option given in its place. */
    DyDiTRecipe recipe() {
        Checks.require(spec, "--lambda", lambda, lambda != null && lambda > 0 && lambda <= 1, "in (0, 1]");
        DyDiTRecipe base = DyDiTRecipe.paper(lambda, seed.seed());
        switch (recipe) {
            case "paper" -> { }
            case "small" -> base = new DyDiTRecipe(lambda, 100, 100, 50, base.tau(), base.flopsWeight(), true,
                    new TrainerSettings(1e-3, 0.9, 0.999, 1e-8, 0, 0, SMALL_EMA_DECAY, seed.seed()));
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--recipe must be paper or small, got '" + recipe + "'");
        }
        Checks.require(spec, "--complete-steps", completeSteps, completeSteps == null || completeSteps >= 0, ">= 0");
        Checks.require(spec, "--hold-steps", holdSteps, holdSteps == null || holdSteps >= 0, ">= 0");
        Checks.require(spec, "--ramp-steps", rampSteps, rampSteps == null || rampSteps >= 0, ">= 0");
        Checks.require(spec, "--tau", tau, tau == null || tau > 0 && Double.isFinite(tau), "> 0");
        Checks.require(spec, "--flops-weight", flopsWeight, flopsWeight == null || flopsWeight >= 0 && Double.isFinite(flopsWeight), ">= 0");
        return new DyDiTRecipe(lambda, or(rampSteps, base.rampSteps()), or(holdSteps, base.holdSteps()),
                or(completeSteps, base.completeSteps()), tau != null ? tau : base.tau(),
                flopsWeight != null ? flopsWeight : base.flopsWeight(), stratified != null ? stratified : base.stratified(),
                optimizer.apply(base.optimizer(), spec));
    }

    private double widthBias() {
        return widthRouterBias != null ? widthRouterBias : "small".equals(recipe) ? 8 : DiTInit.WIDTH_ROUTER_BIAS;
    }

    private double tokenBias() {
        return tokenRouterBias != null ? tokenRouterBias : "small".equals(recipe) ? 8 : DiTInit.TOKEN_ROUTER_BIAS;
    }

    private static long or(Long v, long dflt) {
        return v != null ? v : dflt;
    }

    /** What --init names: the model folder to load (a train checkpoint's model/), or null for a weights file. */
    private static Path initFolder(Path init) {
        if (!Files.isDirectory(init)) return null;
        if (TrainCheckpoint.isCheckpoint(init) && Files.isDirectory(init.resolve(TrainCheckpoint.MODEL_DIR))) {
            return init.resolve(TrainCheckpoint.MODEL_DIR);
        }
        return init;
    }

    /** The training iterations of the initial checkpoint, when known: given, a train checkpoint's step, or a .pt named by its step. */
    private Long iterations(Path init) throws IOException {
        if (initIterations != null) return initIterations;
        Path folder = initFolder(init);
        if (folder != null) {
            Path ck = folder.equals(init) ? init.toAbsolutePath().getParent() : init;
            if (ck != null && TrainCheckpoint.isCheckpoint(ck)) {
                return JSON.readTree(ck.resolve(TrainCheckpoint.STATE_JSON).toFile()).path("step").asLong();
            }
            return null;
        }
        Matcher m = Pattern.compile("^0*(\\d{1,12})\\.pt$").matcher(init.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : null;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        boolean resuming = start.resume != null;
        if (length.budget != null) {
            Checks.require(spec, "--budget", length.budget, length.budget > 0 && length.budget <= 1, "in (0, 1]");
        }
        Checks.require(spec, "--init-iterations", initIterations, initIterations == null || initIterations >= 1, ">= 1");
        Checks.require(spec, "--schedule-n", scheduleN, scheduleN >= 0, ">= 0");
        if (resuming && !recipeOptions().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.join(" ", recipeOptions())
                    + ": the recipe of --resume comes from its checkpoint " + start.resume);
        }
        DyDiTRecipe recipe = resuming ? null : recipe();
        Long iterations = null;
        long steps;
        JsonNode previous = null;
        if (resuming) {
            Path mf = start.resume.resolve(MANIFEST);
            if (Files.isRegularFile(mf)) {
                try {
                    previous = JSON.readTree(mf.toFile());
                } catch (IOException e) {
                    throw new IOException(mf + ": not valid JSON (" + e.getMessage() + ")", e);
                }
                JsonNode it = previous.path("init").path("iterations");
                if (it.isIntegralNumber()) iterations = it.asLong();
            }
        } else {
            iterations = iterations(start.init);
        }
        if (length.budget != null) {
            if (iterations == null) {
                throw new IllegalArgumentException("--budget " + length.budget + " needs the training iterations of the initial "
                        + "checkpoint, which " + (resuming ? start.resume + "/" + MANIFEST + " does not record" : start.init + " does not tell")
                        + ": give --init-iterations N, or --steps");
            }
            steps = Math.max(1, (long) Math.ceil(length.budget * iterations));
            err.printf(Locale.ROOT, "finetune: --budget %s of %d iterations = %d steps%n", length.budget, iterations, steps);
        } else {
            steps = length.steps;
        }
        run.validate(spec, steps);

        TrainData resumed = resuming ? TrainCheckpoint.data(start.resume) : null;
        try (DatasetLatents dataset = TrainingRun.openDataset(run.data, resumed, start.resume)) {
            String source = dataset == null ? null : run.data != null ? run.data : resumed.source();
            if (dataset != null) {
                err.printf("finetune: data %s: %d records of shape %s, %d classes%n", dataset.manifestPath(), dataset.size(),
                        java.util.Arrays.toString(dataset.manifest().shape), dataset.manifest().numClasses);
            }
            Map<String, Path> inputs = new LinkedHashMap<>();
            inputs.put("the training dataset", TrainingRun.localFolder(source));
            inputs.put("--init", start.init);
            TrainingRun.prepareOut(run.out, inputs, err, "finetune");

            Map<String, Object> init = new LinkedHashMap<>();
            Trainer tr;
            if (resuming) {
                tr = TrainCheckpoint.load(start.resume);
                if (!(tr.objective() instanceof DyDiTObjective)) {
                    tr.close();
                    throw new IllegalArgumentException("checkpoint " + start.resume + " is a DiT training (objective dit), not a "
                            + "fine-tuning: fine-tune its model with 'dydit finetune --init " + start.resume + "'");
                }
                err.printf("finetune: resumed %s at step %d%n", start.resume, tr.step());
            } else {
                DiTModel m = loadInit(start.init, init, err);
                init.put("iterations", iterations);
                if (!m.config().dynamic()) {
                    m = DyDiTConversion.toDyDiT(m, seed.seed(), importanceOrder, widthBias(), tokenBias());
                    err.printf(Locale.ROOT, "finetune: converted the DiT to a DyDiT (%s, router biases %.3g / %.3g)%n",
                            importanceOrder ? "importance order" : "DiT order", widthBias(), tokenBias());
                } else {
                    err.println("finetune: --init holds a DyDiT; its routers are fine-tuned as they are");
                }
                tr = Trainer.dydit(DiTParams.of(m.config(), m.weights(), DataType.FLOAT), recipe);
            }
            try (Trainer trainer = tr) {
                if (steps < trainer.step()) {
                    throw new IllegalArgumentException("--steps " + steps + " is below step " + trainer.step() + " of checkpoint "
                            + start.resume + ": give the step count to fine-tune until, at least " + trainer.step());
                }
                DyDiTRecipe used = ((DyDiTObjective) trainer.objective()).dydit();
                long position = resumed != null ? resumed.position() : TrainingRun.legacyPosition(trainer.step(), run.batch);
                try (TrainingRun.Data data = TrainingRun.data(dataset, source, trainer.config(), trainer.settings().seed(), position)) {
                    Map<String, Object> manifest = manifest(previous, used, init, iterations, steps, trainer.step(), data);
                    TrainingRun.Result r = TrainingRun.run("finetune", trainer, data, steps, run, err,
                            tmp -> AtomicFile.writeString(tmp.resolve(MANIFEST), Json.write(manifest) + "\n"),
                            tmp -> writeSchedule(tmp, err));
                    Map<String, Object> summary = r.summary(data, run.out);
                    summary.put("lambda", used.lambda());
                    if (scheduleN > 0) {
                        JsonNode sch = JSON.readTree(run.out.resolve(SCHEDULE).toFile());
                        summary.put("flops_ratio_ddpm250", sch.path("ddpm250").path("flops_ratio").asDouble());
                        summary.put("flops_ratio_ddim50", sch.path("ddim50").path("flops_ratio").asDouble());
                    }
                    spec.commandLine().getOut().println(Json.write(summary));
                }
            }
        }
        return Main.EXIT_OK;
    }

    /** Loads --init (noting its kind and hashes in {@code init}). */
    private DiTModel loadInit(Path initPath, Map<String, Object> init, PrintWriter err) throws IOException {
        Path folder = initFolder(initPath);
        init.put("path", initPath.toAbsolutePath().toString());
        DiTModel m;
        if (folder != null) {
            if (config != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--config applies to an --init weights file; "
                        + initPath + " is a folder with its own " + DiTModel.CONFIG_FILE);
            }
            m = DiTModel.load(folder);
            init.put("kind", folder.equals(initPath) ? "model folder" : "train checkpoint folder");
            init.put("sha256", Map.of(DiTModel.CONFIG_FILE, sha256(folder.resolve(DiTModel.CONFIG_FILE)),
                    DiTModel.WEIGHTS_FILE, sha256(folder.resolve(DiTModel.WEIGHTS_FILE))));
        } else {
            m = ModelSource.checkpointFile(initPath, config, weights, "--init");
            init.put("kind", initPath.getFileName().toString().endsWith(".safetensors") ? "safetensors" : "pt");
            init.put("weights", weights);
            init.put("sha256", sha256(initPath));
            init.put("config", config.toAbsolutePath().toString());
        }
        err.printf("finetune: loaded %s (%s, %d tensors)%n", initPath, init.get("kind"), m.weights().size());
        return m;
    }

    private Map<String, Object> manifest(JsonNode previous, DyDiTRecipe used, Map<String, Object> init, Long iterations,
                                         long steps, long fromStep, TrainingRun.Data data) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("command", TrainingRun.args(spec));
        run.put("from_step", fromStep);
        run.put("to_step", steps);
        run.put("started", Instant.now().toString());
        run.put("git_commit", gitCommit());
        List<Object> runs = new ArrayList<>();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        if (previous != null && previous.isObject()) {
            // a resumed fine-tuning keeps what its first run recorded and adds this run
            Map<String, Object> p = JSON.convertValue(previous, JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, Object.class));
            Object rs = p.get("runs");
            if (rs instanceof List<?> l) runs.addAll(l);
            for (String k : new String[]{"recipe", "init", "budget"}) if (p.containsKey(k)) m.put(k, p.get(k));
        }
        if (!m.containsKey("recipe")) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("name", previous == null && start.init != null ? recipe : "(unknown: resumed)");
            r.putAll(used.toMap());
            TrainerSettings o = used.optimizer();
            Map<String, Object> opt = new LinkedHashMap<>();
            opt.put("lr", o.lr());
            opt.put("beta1", o.beta1());
            opt.put("beta2", o.beta2());
            opt.put("eps", o.eps());
            opt.put("weight_decay", o.weightDecay());
            opt.put("clip_norm", o.clipNorm());
            opt.put("ema_decay", o.emaDecay());
            opt.put("seed", o.seed());
            r.put("optimizer", opt);
            if (start.init != null) {
                r.put("width_router_bias", widthBias());
                r.put("token_router_bias", tokenBias());
                r.put("importance_order", importanceOrder);
            }
            m.put("recipe", r);
        }
        if (!m.containsKey("init")) m.put("init", init);
        if (length.budget != null) m.put("budget", Map.of("fraction", length.budget, "of_iterations", iterations, "steps", steps));
        m.put("steps", steps);
        TrainData d = data.record();
        Map<String, Object> dm = new LinkedHashMap<>();
        dm.put("source", d.source());
        dm.put("manifest_sha256", d.manifestSha256());
        m.put("data", dm);
        m.put("batch", this.run.batch);
        runs.add(run);
        m.put("runs", runs);
        return m;
    }

    /** Writes {@value #SCHEDULE} for the EMA model just saved into {@code tmp}/model. */
    private void writeSchedule(Path tmp, PrintWriter err) throws IOException {
        if (scheduleN == 0) return;
        long t0 = System.nanoTime();
        DiTModel ema = DiTModel.load(tmp.resolve(TrainCheckpoint.MODEL_DIR));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("format", "dydit-width-schedule/1");
        s.put("n", scheduleN);
        s.put("seed", seed.seed());
        s.put("cfg_scale", scheduleCfg);
        s.put("ddpm250", TrajectoryFlops.run(ema, AncestralSampler.dit("250"), scheduleN, seed.seed(), scheduleCfg, null));
        s.put("ddim50", TrajectoryFlops.run(ema, DdimSampler.dit("ddim50", 0.0), scheduleN, seed.seed(), scheduleCfg, null));
        AtomicFile.writeString(tmp.resolve(SCHEDULE), Json.write(s) + "\n");
        err.printf(Locale.ROOT, "finetune: %s: FLOPs ratio %.4f (DDPM-250), %.4f (DDIM-50), %d samples, %.1f s%n", SCHEDULE,
                ((Number) ((Map<?, ?>) s.get("ddpm250")).get("flops_ratio")).doubleValue(),
                ((Number) ((Map<?, ?>) s.get("ddim50")).get("flops_ratio")).doubleValue(), scheduleN, (System.nanoTime() - t0) / 1e9);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The git commit of the source tree this build came from, or null when that is not a git checkout. */
    static String gitCommit() {
        try {
            Path p = Path.of(FinetuneCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            while (p != null && !Files.exists(p.resolve(".git"))) p = p.getParent();
            if (p == null) return null;
            Process git = new ProcessBuilder("git", "-C", p.toString(), "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes()).trim();
            if (!git.waitFor(10, TimeUnit.SECONDS) || git.exitValue() != 0 || !out.matches("[0-9a-f]{40}")) return null;
            Process st = new ProcessBuilder("git", "-C", p.toString(), "status", "--porcelain", "--untracked-files=no").start();
            boolean dirty = !new String(st.getInputStream().readAllBytes()).isBlank();
            st.waitFor(10, TimeUnit.SECONDS);
            return dirty ? out + "-dirty" : out;
        } catch (Exception e) {
            return null;
        }
    }
}
