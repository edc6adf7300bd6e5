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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.Device;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.roles.Role;
import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.run.JsonFiles;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.run.Plots;
import org.racro4j.training.run.RunLock;
import org.racro4j.training.sft.PolicySft;
import org.racro4j.training.study.PerceptionScore;
import org.racro4j.training.study.RewardReport;
import org.racro4j.training.tasks.TaskCategory;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.TaskTokenizer;
import org.racro4j.training.text.Utf8Files;

/**
 * {@code racro4j study rewards}: "perception is the bottleneck" on algorithmic visual puzzles. For each seed (its own
 * folder, {@code seed-N/}, laid out like a run): one task set over the puzzle families and one held-out split (by
 * question: {@link org.racro4j.training.tasks.HeldOutKeys}); one warm start of the policy on every family: its language
 * model first learns to answer from descriptions, text only (a pretrained LLM reasons before it sees images; without
 * this the 3-layer model answers most families from the gold description no better than blind), then the vision warm
 * start, then SFT ({@link PolicySft}) in every response form the designs use and as the Reader; then one GRPO stage per reward design from that warm start, each with the same budget (steps, prompts per
 * step, rollouts per prompt, learning rate, KL) on the same in-domain tasks at every step, the out-of-domain families
 * never seen in RL; then greedy evaluation on the held-out items of every family:
 * <ul>
 * <li>the perception table: the warm start answering from the image (the Answerer) and from the gold description of
 *     the whole puzzle without the image (the Reader);</li>
 * <li>each design in its own response form, and the warm start in that form: its change per family.</li>
 * </ul>
 * The text reasoner of the caption-utility and evidence-utility designs is a frozen copy of the warm start reading
 * text (the Reader): a forward-only reasoner that saw every family, as a pretrained LLM would have.
 *
 * <p>The folder holds config.yaml (the shared settings), designs.json, seed-N/ (each a run folder with result.json),
 * study.json, study.md, study_heatmap.png; run.lock while a process writes it. {@code --resume} continues every seed
 * from its last checkpoints.
 */
public final class RewardStudy {
    /** The families RL trains on. */
    public static final List<String> IN_DOMAIN = List.of("bar_chart", "clock", "grid_path", "knight");
    /** The families RL never sees: one that shares the grid with in-domain ones (maze), one that shares nothing (arrow). */
    public static final List<String> OUT_OF_DOMAIN = List.of("maze", "arrow");

    /** What a design's policy writes, and who answers: the policy itself, or the frozen Reader from its caption. */
    public enum Form {
        ANSWER(Role.ANSWERER), THINK(Role.THINKER), DESCRIBE(Role.DESCRIBER), CAPTION(Role.CAPTIONER);

        final Role role;

        Form(Role role) {
            this.role = role;
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A reward design: its response form and what it changes in the shared rl settings.
     *
     * @param summary what it rewards, in words (study.md)
     */
    public record Design(String name, Form form, String settings, String summary) {}

    /** The six designs, in the order they run and are reported. */
    public static final List<Design> DESIGNS = List.of(
            new Design("only_accuracy", Form.ANSWER, "rl: {algorithm: outcome_grpo, response: answer, solver_rewards: {accuracy: 1.0}}",
                    "the answer alone; accuracy"),
            new Design("vanilla", Form.THINK, "rl: {algorithm: outcome_grpo, response: think, solver_rewards: {accuracy: 1.0, format: 0.2}}",
                    "think, then answer; accuracy + 0.2 format"),
            new Design("mixture", Form.DESCRIBE,
                    "rl: {algorithm: outcome_grpo, response: describe, solver_rewards: {accuracy: 1.0, format: 0.2, description: 0.5}}",
                    "describe the image, then answer; accuracy + 0.2 format + 0.5 perception score of the description"),
            new Design("caption_utility", Form.CAPTION, "rl: {algorithm: racro, rewards: {caption_utility: 1.0, leakage: 1.0}}",
                    "a caption; P(the frozen Reader answers right from it) - leakage (RACRO)"),
            new Design("perception_verified", Form.DESCRIBE,
                    "rl: {algorithm: outcome_grpo, response: describe, solver_rewards: {accuracy: 1.0, format: 0.2, facts: 0.2}}",
                    "describe, then answer; accuracy + 0.2 format + 0.2 per gold fact stated - 0.2 per sentence invented"),
            new Design("evidence_utility", Form.DESCRIBE,
                    "rl: {algorithm: outcome_grpo, response: describe, solver_rewards: {accuracy: 1.0, format: 0.2, evidence_utility: 1.0}}",
                    "describe, then answer; accuracy + 0.2 format + P(the frozen Reader answers right from the description alone)"));

    /**
     * One (question, description) key in five is held out of training: every family keeps held-out items, though the
     * smallest key spaces (132 clock_later questions, 240 knight_moves) are covered by a few hundred training items.
     */
    static final int HELD_OUT_ONE_IN = 5;

    /** The roles the warm start teaches: every form the designs use, and the Reader. */
    static final List<Role> WARM_START_ROLES = List.of(Role.CAPTIONER, Role.READER, Role.ANSWERER, Role.THINKER, Role.DESCRIBER);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RunConfig cfg;
    private final Path out;
    private final Device device;
    private final List<Design> designs;
    private final List<String> stageNames;
    private StudyProgress progress;

    private RewardStudy(RunConfig cfg, Path out, Device device, List<Design> designs) {
        this.cfg = cfg;
        this.out = out;
        this.device = device;
        this.designs = designs;
        this.stageNames = new ArrayList<>(List.of("reader_pretrain", "vision_warm_start", "policy_sft"));
        for (Design d : designs) stageNames.add("rl_" + d.name());
        stageNames.add("eval");
    }

    /** The study's shared settings: the defaults, study-rewards.yaml over them, and the user's file (if any) over both. */
    public static RunConfig config(Path userFile, String device) throws IOException {
        String overlay;
        try (InputStream in = RewardStudy.class.getResourceAsStream("study-rewards.yaml")) {
            overlay = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        RunConfig study = ConfigLoader.override(ConfigLoader.load(null, device), overlay, "study-rewards.yaml");
        if (userFile == null) return study;
        RunConfig user = ConfigLoader.override(study, Utf8Files.read(userFile), userFile.toString());
        return device == null ? user : user.withDevice(device);   // the command line's device wins over the file's
    }

    /** The designs a comma-separated list names (null: all six), in the study's order; an unknown name is an error. */
    public static List<Design> designs(String names) {
        if (names == null) return DESIGNS;
        List<String> asked = new ArrayList<>();
        for (String n : names.split(",")) {
            String name = n.strip();
            if (DESIGNS.stream().noneMatch(d -> d.name().equals(name))) {
                throw new IllegalArgumentException("--designs: no design named '" + name + "'; the designs are "
                        + String.join(", ", DESIGNS.stream().map(Design::name).toList()));
            }
            if (!asked.contains(name)) asked.add(name);
        }
        return DESIGNS.stream().filter(d -> asked.contains(d.name())).toList();
    }

    /**
     * Runs (or with {@code resume} continues, with the study's own config.yaml and designs.json) the study in {@code out}
     * over seeds 1..seeds; returns study.json's content.
     *
     * @param designNames the designs to run (null: all; on resume, null or the saved ones)
     */
    public static ObjectNode run(Path out, RunConfig cfg, String designNames, int seeds, boolean resume, String device, PrintWriter console)
            throws IOException {
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        if (resume) {
            Path saved = out.resolve("config.yaml");
            if (!Files.isRegularFile(saved)) throw new IOException(out + ": nothing to resume (no config.yaml); start a study there without --resume");
            try (RunLock lock = RunLock.acquire(out)) {
                List<Design> d = savedDesigns(out);
                if (designNames != null && !designs(designNames).equals(d)) {
                    throw new IllegalArgumentException("--designs " + designNames + " differs from the study's own ("
                            + String.join(",", d.stream().map(Design::name).toList()) + "); drop --designs to resume it");
                }
                RunConfig c = ConfigLoader.load(saved, device);
                c.requireModelsTrainedHere("the reward study");
                return new RewardStudy(c, out, checkDesigns(c, d, saved.toString()), d).run(seeds, console);
            }
        }
        cfg.requireModelsTrainedHere("the reward study");
        List<Design> d = designs(designNames);
        Device dev = checkDesigns(cfg, d, "config");
        NewRunFolder.check(out);
        try (RunLock lock = RunLock.acquire(out)) {
            NewRunFolder.prepare(out, console);
            AtomicFiles.writeString(out.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
            ArrayNode names = JSON.createArrayNode();
            d.forEach(x -> names.add(x.name()));
            AtomicFiles.writeString(out.resolve("designs.json"), names + "\n");
            return new RewardStudy(cfg, out, dev, d).run(seeds, console);
        }
    }

    private static List<Design> savedDesigns(Path out) throws IOException {
        Path file = out.resolve("designs.json");
        JsonNode names = JsonFiles.read(file);
        if (!names.isArray() || names.isEmpty()) throw new IOException(file + ": not a list of design names");
        List<String> n = new ArrayList<>();
        names.forEach(x -> n.add(x.asText()));
        try {
            return designs(String.join(",", n));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage().replace("--designs: ", ""));
        }
    }

    /** Every design's config must be valid, and the task mix must hold every family, before anything is trained. */
    private static Device checkDesigns(RunConfig cfg, List<Design> designs, String where) throws IOException {
        for (Design d : designs) Pipeline.preflight(designConfig(cfg, d), where + " (design " + d.name() + ")");
        Device device = Pipeline.preflight(cfg, where);
        List<String> families = new ArrayList<>();
        RunTasks.mix(cfg).weights().keySet().forEach(c -> families.add(c.family().id()));
        for (String f : IN_DOMAIN) {
            if (!families.contains(f)) throw new IllegalArgumentException(where + ": tasks.mix has no " + f + " category; the study trains on "
                    + String.join(", ", IN_DOMAIN) + " and holds out " + String.join(", ", OUT_OF_DOMAIN));
        }
        return device;
    }

    static RunConfig designConfig(RunConfig cfg, Design d) throws IOException {
        return ConfigLoader.override(cfg, d.settings(), "study design " + d.name());
    }

    private ObjectNode run(int seeds, PrintWriter console) throws IOException {
        progress = new StudyProgress(console, seeds, stageNames.size());
        List<Long> seedList = new ArrayList<>();
        for (long s = 1; s <= seeds; s++) seedList.add(s);
        progress.say("racro4j study rewards in %s on %s: designs %s, seeds %s; RL on %s, held out %s", out, device,
                designs.stream().map(Design::name).toList(), seedList, IN_DOMAIN, OUT_OF_DOMAIN);
        List<JsonNode> results = new ArrayList<>();
        for (long seed : seedList) {
            long t = System.nanoTime();
            Seed s = new Seed(seed);
            boolean ranHere = !s.finished();
            results.add(s.run());
            if (ranHere) progress.seedRan((System.nanoTime() - t) / 1e9);
        }
        Map<String, String> forms = new LinkedHashMap<>();
        designs.forEach(d -> forms.put(d.name(), d.form().id()));
        ObjectNode study = RewardReport.build(seedList, results, forms, IN_DOMAIN, OUT_OF_DOMAIN, protocol());
        RewardReport.write(out, study);
        progress.print(RewardReport.markdown(study));
        return study;
    }

    private ObjectNode protocol() {
        ObjectNode p = JSON.createObjectNode();
        p.put("tasks", cfg.tasks().mix());
        p.put("train_items", cfg.tasks().trainItems());
        p.put("test_items", cfg.tasks().testItems());
        p.put("held_out", "one (question, description) key in " + HELD_OUT_ONE_IN + ", by a seeded hash; training items never have one");
        p.put("in_domain", String.join(", ", IN_DOMAIN));
        p.put("out_of_domain", String.join(", ", OUT_OF_DOMAIN));
        p.put("warm_start", "reading (text only: description + question -> answer) " + cfg.reasoner().sft().steps() + " steps of "
                + cfg.reasoner().sft().batch() + ", then vision " + cfg.captioner().visionWarmStart().steps() + " steps, then " + cfg.captioner().sft().steps()
                + " steps on every family, a fifth of the examples each: caption, Reader (description, no image), direct answer, "
                + "think then answer, describe then answer");
        p.put("rl_steps", cfg.rl().steps());
        p.put("prompts_per_step", cfg.rl().promptsPerStep());
        p.put("rollouts_per_prompt", cfg.rl().groupSize());
        p.put("lr", cfg.rl().lr());
        p.put("kl_coef", cfg.rl().klCoef());
        p.put("clip", cfg.rl().clipLow() + " / " + cfg.rl().clipHigh());
        ObjectNode d = p.putObject("designs");
        for (Design x : designs) d.put(x.name(), x.form().id() + ": " + x.summary());
        p.put("evaluation", "greedy, held-out items of every family; each design in its own form, against the warm start in that form");
        return p;
    }

    /** One seed's folder: its stages, models and evaluations. */
    private final class Seed extends StudySeed {
        Seed(long seed) throws IOException {
            super(out, cfg, seed, stageNames, RewardStudy.this.device, RewardStudy.this.progress);
        }

        JsonNode run() throws IOException {
            Path resultFile = resultFile();
            if (finished()) {
                progress.say("seed %d: done earlier (%s)", seed, resultFile);
                return JsonFiles.read(resultFile);
            }
            try (MetricsLog metrics = openLog()) {
                RunTasks tasks = RunTasks.heldOutKeys(c, HELD_OUT_ONE_IN);
                List<TaskItem> inDomain = tasks.train().stream().filter(t -> IN_DOMAIN.contains(t.family())).toList();
                WordLevelTokenizer tok = TaskTokenizer.create();
                progress.say("seed %d: %d train items (%d of in-domain families, for RL), %d test items", seed, tasks.train().size(),
                        inDomain.size(), tasks.test().size());
                warmStart(tok, tasks.train(), WARM_START_ROLES, true);
                boolean cpu = device.equals(Device.CPU);
                for (int i = 0; i < designs.size(); i += 2) {
                    Design a = designs.get(i);
                    if (i + 1 == designs.size()) {
                        rl(a, tok, inDomain, false);
                    } else {
                        Design b = designs.get(i + 1);
                        SideBySide.run(cpu, runner, () -> rl(a, tok, inDomain, true), () -> rl(b, tok, inDomain, true));
                    }
                }
                ObjectNode result = evaluate(tok, tasks.test());
                writePlots();
                AtomicFiles.writeString(resultFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
                stages.mark("eval");   // its seconds are in result.json already
                return result;
            }
        }

        private void rl(Design d, WordLevelTokenizer tok, List<TaskItem> train, boolean alongside) throws IOException {
            String stage = "rl_" + d.name();
            stages.run(stage, "policy_" + d.name(), () -> {
                RunConfig dc = designConfig(c, d);
                try (Captioner policyModel = models.loadCaptioner("policy_sft", device);
                     Captioner referenceModel = models.loadCaptioner("policy_sft", device);
                     Captioner readerModel = models.loadCaptioner("policy_sft", device)) {
                    CaptionPolicy policy = policy(policyModel, tok);
                    // the same seed for every design: the same tasks at every step
                    runner.run(new RlStage(stage, policy, policy(referenceModel, tok), reader(readerModel, tok), train, dc.rl(), seed + 3), alongside);
                    models.save("policy_" + d.name(), policyModel, tok);
                }
            });
        }

        /** The frozen text reasoner: a warm-start copy reading descriptions without the image (closed with its model). */
        private Reasoner reader(Captioner warmStart, WordLevelTokenizer tok) {
            return new Reasoner("reader", warmStart.languageModel(), new ReasonerPrompt.Words(tok), c.reasoner().maxAnswerTokens());
        }

        private void writePlots() throws IOException {
            Path m = dir.resolve("metrics.jsonl");
            for (Design d : designs) {
                Plots.write(m, "rl_" + d.name(), List.of("reward", "accuracy", "reward_format", "reward_description", "reward_facts",
                        "reward_evidence_utility", "reward_leakage", "kl", "entropy", "response_length", "groups_kept", "step_seconds"), dir.resolve("plots"));
            }
            for (String stage : List.of("reader_pretrain", "vision_warm_start", "policy_sft")) Plots.write(m, stage, List.of("loss"), dir.resolve("plots"));
        }

        /** The perception table, the warm start in every form the designs use, and every design in its own form. */
        private ObjectNode evaluate(WordLevelTokenizer tok, List<TaskItem> test) throws IOException {
            long t = System.nanoTime();
            ObjectNode result = JSON.createObjectNode();
            result.put("seed", seed);
            Map<Form, Evaluator.Result> warm = new LinkedHashMap<>();
            try (Captioner ws = models.loadCaptioner("policy_sft", device); Captioner readerModel = models.loadCaptioner("policy_sft", device)) {
                CaptionPolicy p = policy(ws, tok);
                Reasoner reader = reader(readerModel, tok);
                Evaluator.Result image = evals.result("warm_start_answer", () -> Evaluator.policyResponses(p, test, Role.ANSWERER, "warm start"));
                Evaluator.Result text = evals.result("warm_start_reader_gold", () -> Evaluator.read(reader, test, wholeDescriptions(test), "gold"));
                ObjectNode perception = result.putObject("perception");
                perception.put("image", image.accuracy());
                perception.put("description", text.accuracy());
                ObjectNode per = perception.putObject("per_family");
                Map<String, Double> im = perFamily(image);
                Map<String, Double> tx = perFamily(text);
                for (String f : im.keySet()) {
                    ObjectNode o = per.putObject(f);
                    o.put("image", im.get(f));
                    o.put("description", tx.get(f));
                }
                for (Design d : designs) {
                    if (!warm.containsKey(d.form())) warm.put(d.form(), evaluate(p, reader, d.form(), "policy_sft", "warm_start", test));
                }
            }
            ObjectNode ws = result.putObject("warm_start");
            warm.forEach((form, r) -> ws.set(form.id(), summary(r, form, test)));
            ObjectNode ds = result.putObject("designs");
            for (Design d : designs) {
                String model = "policy_" + d.name();
                try (Captioner cap = models.loadCaptioner(model, device); Captioner readerModel = models.loadCaptioner("policy_sft", device)) {
                    Evaluator.Result r = evaluate(policy(cap, tok), reader(readerModel, tok), d.form(), model, d.name(), test);
                    ObjectNode o = summary(r, d.form(), test);
                    o.put("form", d.form().id());
                    Map<String, Double> before = perFamily(warm.get(d.form()));
                    Map<String, Double> after = perFamily(r);
                    ObjectNode change = o.putObject("change");
                    for (String f : after.keySet()) change.put(f, after.get(f) - before.get(f));
                    putFinite(o, "in_domain", meanOver(change, IN_DOMAIN));
                    putFinite(o, "out_of_domain", meanOver(change, OUT_OF_DOMAIN));
                    ds.set(d.name(), o);
                }
            }
            seconds.put("eval", (System.nanoTime() - t) / 1e9);
            ObjectNode secs = result.putObject("stage_seconds");
            seconds.forEach(secs::put);
            return result;
        }

        /** A policy's greedy held-out result in one form: its own answers, or its captions read by the frozen Reader. */
        private Evaluator.Result evaluate(CaptionPolicy p, Reasoner reader, Form form, String model, String name, List<TaskItem> test) throws IOException {
            if (form != Form.CAPTION) return evals.result(name + "_" + form.id(), () -> Evaluator.policyResponses(p, test, form.role, name));
            List<String> captions = evals.captions(model, test.size(), () -> Evaluator.captions(p, test, seed));
            return evals.result(name + "_caption_reader", () -> Evaluator.read(reader, test, captions, name + " captions"));
        }

        /** accuracy, per_family and, for the forms that write evidence, its perception score. */
        private ObjectNode summary(Evaluator.Result r, Form form, List<TaskItem> test) {
            ObjectNode o = JSON.createObjectNode();
            o.put("accuracy", r.accuracy());
            ObjectNode per = o.putObject("per_family");
            perFamily(r).forEach(per::put);
            if (form != Form.ANSWER) {
                List<String> evidence = r.items().stream().map(Evaluator.ItemResult::description).toList();
                putFinite(o, "perception_score", PerceptionScore.mean(test, evidence));
            }
            return o;
        }
    }

    /** JSON has no NaN: a value that is not finite (no item to average over) is written as null. */
    private static void putFinite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    /** The gold description of the whole puzzle (every fact), what "image versus description" gives the Reader. */
    static List<String> wholeDescriptions(List<TaskItem> items) {
        return items.stream().map(TaskItem::goldDescription).toList();
    }

    /** Held-out accuracy per family (of the items' categories), in the order the families first occur. */
    static Map<String, Double> perFamily(Evaluator.Result r) {
        Map<String, int[]> n = new LinkedHashMap<>();
        for (Evaluator.ItemResult i : r.items()) {
            int[] c = n.computeIfAbsent(TaskCategory.fromId(i.category()).family().id(), k -> new int[2]);
            if (i.correct()) c[0]++;
            c[1]++;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        n.forEach((f, c) -> out.put(f, c[0] / (double) c[1]));
        return out;
    }

    /** The mean of the values of the families listed that {@code values} has; NaN when it has none of them. */
    static double meanOver(JsonNode values, List<String> families) {
        double sum = 0;
        int n = 0;
        for (String f : families) {
            if (values.has(f)) {
                sum += values.get(f).asDouble();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
