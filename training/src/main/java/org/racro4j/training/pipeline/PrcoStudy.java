package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.rl.RlConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.run.JsonFiles;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.run.Plots;
import org.racro4j.training.run.RunLock;
import org.racro4j.training.sft.PolicySft;
import org.racro4j.training.sft.ReasonerSft;
import org.racro4j.training.study.PerceptionScore;
import org.racro4j.training.study.StudyReport;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.TaskTokenizer;
import org.racro4j.training.text.Utf8Files;

/**
 * {@code racro4j study prco}: PRCO against the policy's warm start, outcome-only GRPO and RACRO, on one protocol.
 * For each seed (its own folder, {@code seed-N/}, laid out like a run): one task set and held-out split, one frozen
 * reasoner, one warm start of the end-to-end policy in all its roles ({@link PolicySft}); from that warm start, three
 * RL stages with the same budget (steps, prompts per step, rollouts per prompt, learning rate, KL) and the same
 * tasks at every step; then every arm answers the held-out items greedily:
 * <ul>
 * <li>{@code sft}: the warm-started policy answering from the image;</li>
 * <li>{@code outcome_grpo}: the policy after GRPO on its answers alone (accuracy + format, DAPO's clip-higher);</li>
 * <li>{@code prco}: the policy after PRCO, captioning as the Observer, then answering as the Solver;</li>
 * <li>{@code racro}: the policy after RACRO (the demo's RL), captioning for the frozen reasoner.</li>
 * </ul>
 * The folder holds config.yaml (the shared settings), seed-N/ (each a run folder with result.json), study.json,
 * study.md and study_per_category.png; run.lock while a process writes it. {@code --resume} continues every seed from
 * its last checkpoints.
 */
public final class PrcoStudy {
    public static final List<String> ARMS = List.of("sft", "outcome_grpo", "prco", "racro");
    /** What each RL arm changes in the shared rl settings (the demo's): its algorithm and what its method prescribes. */
    static final Map<String, String> ARM_SETTINGS = armSettings();
    /** The stages of one seed, in order. */
    static final List<String> STAGES = List.of("reasoner_sft", "vision_warm_start", "policy_sft", "rl_prco", "rl_racro", "rl_outcome_grpo", "eval");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RunConfig cfg;
    private final Path out;
    private final Device device;
    private final PrintWriter console;
    private StudyProgress progress;

    private PrcoStudy(RunConfig cfg, Path out, Device device, PrintWriter console) {
        this.cfg = cfg;
        this.out = out;
        this.device = device;
        this.console = console;
    }

    private static Map<String, String> armSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("outcome_grpo", "rl: {algorithm: outcome_grpo, clip_high: 0.28}");
        // the Solver samples 4 answers per caption (the PRCO figure's G_S), at temperature 1 so that they differ
        m.put("prco", "rl: {algorithm: prco, clip_high: 0.28, answer_samples: 4, answer_temperature: 1.0}");
        m.put("racro", "rl: {algorithm: racro}");
        return m;
    }

    /** The study's shared settings: the defaults, study-prco.yaml over them, and the user's file (if any) over both. */
    public static RunConfig config(Path userFile, String device) throws IOException {
        String overlay;
        try (InputStream in = PrcoStudy.class.getResourceAsStream("study-prco.yaml")) {
            overlay = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        RunConfig study = ConfigLoader.override(ConfigLoader.load(null, device), overlay, "study-prco.yaml");
        if (userFile == null) return study;
        RunConfig user = ConfigLoader.override(study, Utf8Files.read(userFile), userFile.toString());
        return device == null ? user : user.withDevice(device);   // the command line's device wins over the file's
    }

    /**
     * Runs (or with {@code resume} continues, with the study's own config.yaml) the study in {@code out} over seeds
     * 1..seeds; returns study.json's content.
     */
    public static ObjectNode run(Path out, RunConfig cfg, int seeds, boolean resume, String device, PrintWriter console) throws IOException {
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        if (resume) {
            Path saved = out.resolve("config.yaml");
            if (!Files.isRegularFile(saved)) throw new IOException(out + ": nothing to resume (no config.yaml); start a study there without --resume");
            try (RunLock lock = RunLock.acquire(out)) {
                RunConfig c = ConfigLoader.load(saved, device);
                c.requireModelsTrainedHere("the PRCO study");
                return new PrcoStudy(c, out, checkArms(c, saved.toString()), console).run(seeds);
            }
        }
        cfg.requireModelsTrainedHere("the PRCO study");
        Device d = checkArms(cfg, "config");
        NewRunFolder.check(out);
        try (RunLock lock = RunLock.acquire(out)) {
            NewRunFolder.prepare(out, console);
            AtomicFiles.writeString(out.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
            return new PrcoStudy(cfg, out, d, console).run(seeds);
        }
    }

    /** Every arm's config must be valid before anything is trained. */
    private static Device checkArms(RunConfig cfg, String where) throws IOException {
        for (String arm : ARM_SETTINGS.keySet()) Pipeline.preflight(armConfig(cfg, arm), where + " (arm " + arm + ")");
        return Pipeline.preflight(cfg, where);
    }

    static RunConfig armConfig(RunConfig cfg, String arm) throws IOException {
        return ConfigLoader.override(cfg, ARM_SETTINGS.get(arm), "study arm " + arm);
    }

    private ObjectNode run(int seeds) throws IOException {
        List<Long> seedList = new ArrayList<>();
        for (long s = 1; s <= seeds; s++) seedList.add(s);
        progress = new StudyProgress(console, seeds, STAGES.size());
        say("racro4j study prco in %s on %s: arms %s, seeds %s", out, device, ARMS, seedList);
        Map<String, List<StudyReport.ArmSeed>> arms = new LinkedHashMap<>();
        for (String a : ARMS) arms.put(a, new ArrayList<>());
        Map<String, List<Double>> references = new TreeMap<>();
        for (long seed : seedList) {
            long t = System.nanoTime();
            Seed s = new Seed(seed);
            boolean ranHere = !s.finished();
            ObjectNode result = s.run();
            if (ranHere) progress.seedRan((System.nanoTime() - t) / 1e9);
            for (String a : ARMS) arms.get(a).add(JSON.treeToValue(result.get("arms").get(a), StudyReport.ArmSeed.class));
            result.get("references").fields().forEachRemaining(e -> references.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue().asDouble()));
        }
        ObjectNode study = StudyReport.build("prco", seedList, arms, protocol());
        ObjectNode refs = study.putObject("references");
        references.forEach((k, v) -> refs.putPOJO(k, v));
        String more = referencesMarkdown(references) + examplesMarkdown(out.resolve("seed-" + seedList.get(0)), 8);
        StudyReport.write(out, study, more);
        progress.print(StudyReport.markdown(study) + more);
        return study;
    }

    /** What the references mean, with their mean and spread over the seeds. */
    private static final Map<String, String> REFERENCE_LABELS = referenceLabels();

    private static Map<String, String> referenceLabels() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("reasoner_blind", "reasoner, question only (blind)");
        m.put("reasoner_gold", "reasoner, gold evidence (oracle)");
        m.put("sft_captions_reasoner", "warm-start captions, read by the reasoner");
        m.put("sft_captions_solver", "warm-start captions, read by the warm start's own Solver");
        m.put("sft_perception_score", "perception score of the warm-start captions");
        m.put("prco_captions_reasoner", "PRCO Observer captions, read by the reasoner");
        return m;
    }

    private static String referencesMarkdown(Map<String, List<Double>> refs) {
        StringBuilder b = new StringBuilder("\n## References (held-out accuracy, mean ± std over seeds)\n\n| reference | value |\n|---|---|\n");
        for (var e : REFERENCE_LABELS.entrySet()) {
            List<Double> v = refs.get(e.getKey());
            if (v == null) continue;
            double[] x = v.stream().mapToDouble(Double::doubleValue).toArray();
            b.append(String.format(Locale.ROOT, "| %s | %.3f ± %.3f |%n", e.getValue(), StudyReport.mean(x), StudyReport.std(x)));
        }
        return b.toString();
    }

    /**
     * The first {@code n} held-out items of one seed: what PRCO's Observer and RACRO's captioner write for them, and
     * the answers read from those captions (from the seed's evaluation files).
     */
    private static String examplesMarkdown(Path seedDir, int n) throws IOException {
        Path eval = seedDir.resolve("eval");
        JsonNode prco = JsonFiles.read(eval.resolve("prco_solver.json")).get("items");
        JsonNode racro = JsonFiles.read(eval.resolve("racro_reasoner.json")).get("items");
        JsonNode direct = JsonFiles.read(eval.resolve("outcome_grpo_direct.json")).get("items");
        StringBuilder b = new StringBuilder("\n## Examples (" + seedDir.getFileName() + ", first " + n + " held-out items)\n");
        for (int i = 0; i < Math.min(n, prco.size()); i++) {
            JsonNode p = prco.get(i);
            b.append(String.format(Locale.ROOT, "%n**%s** (%s), expected `%s`%n%n", p.get("id").asText(), p.get("category").asText(),
                    p.get("expected").asText()));
            b.append(String.format(Locale.ROOT, "- outcome_grpo answers `%s`%n", direct.get(i).get("answer").asText()));
            b.append(String.format(Locale.ROOT, "- prco Observer: \"%s\" → Solver `%s`%n", p.get("description").asText(), p.get("answer").asText()));
            b.append(String.format(Locale.ROOT, "- racro captioner: \"%s\" → reasoner `%s`%n", racro.get(i).get("description").asText(),
                    racro.get(i).get("answer").asText()));
        }
        return b.toString();
    }

    private ObjectNode protocol() throws IOException {
        ObjectNode p = JSON.createObjectNode();
        RlConfig rl = cfg.rl();
        p.put("tasks", cfg.tasks().mix());
        p.put("train_items", cfg.tasks().trainItems());
        p.put("test_items", cfg.tasks().testItems());
        p.put("warm_start", "vision " + cfg.captioner().visionWarmStart().steps() + " steps, then " + cfg.captioner().sft().steps()
                + " steps of caption / Solver / direct-answer examples, a third each");
        p.put("rl_steps", rl.steps());
        p.put("prompts_per_step", rl.promptsPerStep());
        p.put("rollouts_per_prompt", rl.groupSize());
        p.put("lr", rl.lr());
        p.put("kl_coef", rl.klCoef());
        for (var e : ARM_SETTINGS.entrySet()) p.put("arm_" + e.getKey(), e.getValue());
        p.put("evaluation", "greedy, held-out items; prco: Observer caption then Solver; racro: caption read by the frozen reasoner");
        return p;
    }

    /** One seed's folder: its stages, models and evaluations. */
    private final class Seed extends StudySeed {
        Seed(long seed) throws IOException {
            super(out, cfg, seed, STAGES, PrcoStudy.this.device, PrcoStudy.this.progress);
        }

        ObjectNode run() throws IOException {
            Path resultFile = resultFile();
            if (finished()) {
                say("seed %d: done earlier (%s)", seed, resultFile);
                return (ObjectNode) JsonFiles.read(resultFile);
            }
            try (MetricsLog metrics = openLog()) {
                RunTasks tasks = RunTasks.of(c);
                WordLevelTokenizer tok = TaskTokenizer.create();
                say("seed %d: %d train, %d test items", seed, tasks.train().size(), tasks.test().size());
                boolean cpu = device.equals(Device.CPU);
                SideBySide.run(cpu, runner, () -> trainReasoner(tok, tasks.train()), () -> warmStart(tok, tasks.train(), PolicySft.ROLES, false));
                try (Reasoner reasoner = ModelStore.loadReasoner("reasoner", models.dir("reasoner"), device, c.reasoner().maxAnswerTokens(), ReasonerPrompt.WORDS)) {
                    SideBySide.run(cpu, runner, () -> rl("prco", reasoner, tok, tasks.train(), true),
                            () -> {
                                rl("racro", reasoner, tok, tasks.train(), true);
                                rl("outcome_grpo", reasoner, tok, tasks.train(), true);
                            });
                    ObjectNode result = evaluate(reasoner, tok, tasks.test());
                    writePlots();
                    AtomicFiles.writeString(resultFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
                    stages.mark("eval");   // its seconds are in result.json already
                    return result;
                }
            }
        }

        private void trainReasoner(WordLevelTokenizer tok, List<TaskItem> train) throws IOException {
            stages.run("reasoner_sft", "reasoner", () -> {
                DecoderConfig dc = Pipeline.decoderConfig(c.reasoner().model(), tok, RunConfig.REASONER_CONTEXT);
                try (CausalLM lm = CausalLM.create(dc, seed, DType.F32, device)) {
                    runner.run(new ReasonerSft("reasoner_sft", lm, new ReasonerPrompt.Words(tok), train, c.reasoner(), seed), true);
                    models.save("reasoner", lm, tok);
                }
            });
        }

        private void rl(String arm, Reasoner reasoner, WordLevelTokenizer tok, List<TaskItem> train, boolean alongside) throws IOException {
            String stage = "rl_" + arm;
            stages.run(stage, "policy_" + arm, () -> {
                RunConfig a = armConfig(c, arm);
                try (Captioner policyModel = models.loadCaptioner("policy_sft", device); Captioner referenceModel = models.loadCaptioner("policy_sft", device)) {
                    CaptionPolicy policy = policy(policyModel, tok);
                    runner.run(new RlStage(stage, policy, policy(referenceModel, tok), reasoner, train, a.rl(), seed + 3), alongside);
                    models.save("policy_" + arm, policyModel, tok);
                }
            });
        }

        /** The training curves of the seed's stages, plots/<stage>_<metric>.png. */
        private void writePlots() throws IOException {
            Path m = dir.resolve("metrics.jsonl");
            for (String arm : ARM_SETTINGS.keySet()) {
                Plots.write(m, "rl_" + arm, List.of("reward", "accuracy", "solver_reward", "reward_format", "kl", "entropy", "response_length",
                        "groups_kept", "solver_groups_kept", "step_seconds"), dir.resolve("plots"));
            }
            for (String stage : List.of("reasoner_sft", "vision_warm_start", "policy_sft")) Plots.write(m, stage, List.of("loss"), dir.resolve("plots"));
        }

        /** Every arm's held-out result, and the reasoner's references (blind, gold evidence, warm-start captions). */
        private ObjectNode evaluate(Reasoner reasoner, WordLevelTokenizer tok, List<TaskItem> test) throws IOException {
            long t = System.nanoTime();
            Evaluator.Result oracle = evals.result("reasoner_gold", () -> Evaluator.read(reasoner, test, Evaluator.gold(test), "gold"));
            Evaluator.Result blind = evals.result("reasoner_blind", () -> Evaluator.read(reasoner, test, Evaluator.blind(test), "blind"));
            ObjectNode result = JSON.createObjectNode();
            result.put("seed", seed);
            ObjectNode arms = result.putObject("arms");
            ObjectNode refs = result.putObject("references");
            refs.put("reasoner_blind", blind.accuracy());
            refs.put("reasoner_gold", oracle.accuracy());
            for (String arm : ARMS) {
                String model = arm.equals("sft") ? "policy_sft" : "policy_" + arm;
                try (Captioner cap = models.loadCaptioner(model, device)) {
                    CaptionPolicy p = policy(cap, tok);
                    StudyReport.ArmSeed r = switch (arm) {
                        case "sft", "outcome_grpo" -> armSeed(evals.result(arm + "_direct", () -> Evaluator.policyAnswers(p, test, null, arm)), null, null);
                        case "prco" -> {
                            List<String> captions = evals.captions(model, test.size(), () -> Evaluator.captions(p, test, seed));
                            Evaluator.Result solver = evals.result("prco_solver", () -> Evaluator.policyAnswers(p, test, captions, "prco captions"));
                            Evaluator.Result read = evals.result("prco_reasoner", () -> Evaluator.read(reasoner, test, captions, "prco captions"));
                            refs.put("prco_captions_reasoner", read.accuracy());
                            yield armSeed(solver, oracle.accuracy() - read.accuracy(), PerceptionScore.mean(test, captions));
                        }
                        case "racro" -> {
                            List<String> captions = evals.captions(model, test.size(), () -> Evaluator.captions(p, test, seed));
                            Evaluator.Result read = evals.result("racro_reasoner", () -> Evaluator.read(reasoner, test, captions, "racro captions"));
                            yield armSeed(read, oracle.accuracy() - read.accuracy(), PerceptionScore.mean(test, captions));
                        }
                        default -> throw new IllegalStateException(arm);
                    };
                    if (arm.equals("sft")) {
                        // where PRCO and RACRO start from: the warm start's captions, read by its own Solver and by the reasoner
                        List<String> captions = evals.captions(model, test.size(), () -> Evaluator.captions(p, test, seed));
                        refs.put("sft_captions_solver", evals.result("sft_solver", () -> Evaluator.policyAnswers(p, test, captions, "sft captions")).accuracy());
                        refs.put("sft_captions_reasoner", evals.result("sft_reasoner", () -> Evaluator.read(reasoner, test, captions, "sft captions")).accuracy());
                        refs.put("sft_perception_score", PerceptionScore.mean(test, captions));
                    }
                    arms.set(arm, JSON.valueToTree(r));
                }
            }
            seconds.put("eval", (System.nanoTime() - t) / 1e9);
            ObjectNode secs = result.putObject("stage_seconds");
            seconds.forEach(secs::put);
            return result;
        }

        private StudyReport.ArmSeed armSeed(Evaluator.Result r, Double gap, Double score) {
            Map<String, Double> per = new TreeMap<>();
            r.perCategory().forEach((cat, n) -> per.put(cat, n[1] == 0 ? Double.NaN : n[0] / (double) n[1]));
            return new StudyReport.ArmSeed(r.accuracy(), per, gap, score);
        }
    }

    private void say(String fmt, Object... args) {
        progress.say(fmt, args);
    }
}
