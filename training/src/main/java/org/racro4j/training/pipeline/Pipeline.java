package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.eval.UnknownWords;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.CaptionerPrompt;
import org.racro4j.training.roles.PretrainedDecoder;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.run.Checkpoints;
import org.racro4j.training.run.JsonFiles;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.run.Plots;
import org.racro4j.training.run.RunLock;
import org.racro4j.training.sft.CaptionerSft;
import org.racro4j.training.sft.PolicySft;
import org.racro4j.training.sft.ReasonerSft;
import org.racro4j.training.sft.VisionWarmStart;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.TaskTokenizer;

/**
 * A whole perception-decoupled run, stage by stage, into one folder:
 * <pre>
 *   tasks → reasoner SFT        ┐ side by side → evaluation before RL → RL                   ┐ side by side → evaluation after RL → report
 *           vision → captioner  ┘                                       swap reasoner SFT    ┘
 * </pre>
 * Stages that do not depend on each other run at the same time on the CPU, one core each: the reasoner and the
 * captioner's warm start; RL and the swap reasoner, which only the evaluations need. Each stage's kernels then run
 * serially on its own core, which for these small models uses two cores better than splitting every kernel
 * (see Parallel.concurrently); every CPU kernel gives the same bits on any number of threads, so the results
 * are those of running the stages one after the other. On a GPU they run one after the other.
 *
 * <p>The folder holds config.yaml (resolved), metrics.jsonl, plots/*.png, checkpoints/, models/ (each stage's
 * result as an HF-style directory), eval/*.json, report.json and report.md, and run.lock: one process at a time
 * writes a folder, holding its lock ({@link RunLock}) from before it reads or writes anything there until it ends.
 * With {@code resume}, finished stages are loaded from models/ and eval/, and interrupted ones continue from their
 * last readable checkpoints.
 */
public final class Pipeline {
    /** The stages, in the order a report lists their times. */
    static final List<String> STAGES = List.of("reasoner_sft", "vision_warm_start", "captioner_sft", "eval_before", "rl",
            "swap_reasoner_sft", "eval_after");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RunConfig cfg;
    private final Path out;
    private final Device device;
    private final RunTasks dataset;
    private final PrintWriter console;
    private final Map<String, Double> stageSeconds = new ConcurrentHashMap<>();
    private ModelStore models;
    private MetricsLog metrics;
    private StageRunner runner;
    private EvalCache evals;
    private CaptionerPrompt captionerPrompt;
    private ResumableStages stages;

    /** @param dataset a dataset's tasks as the check read them, or null: the built-in tasks, made as the run starts */
    private Pipeline(RunConfig cfg, Path out, Checked checked, PrintWriter console) {
        this.cfg = cfg;
        this.out = out;
        this.device = checked.device();
        this.dataset = checked.dataset();
        this.console = console;
    }

    /** Runs (or, with resume, continues with its own config.yaml) a run in {@code out}; returns report.json's content. */
    public static ObjectNode run(RunConfig cfg, Path out, boolean resume, PrintWriter console) throws IOException {
        return resume ? resume(out, null, console) : start(cfg, out, console);
    }

    /**
     * Starts a new run in {@code out}. The config is checked whole first, so one that cannot run creates nothing; then
     * the folder is locked for this process, and must be new, empty or a failed start (see {@link NewRunFolder}).
     */
    public static ObjectNode start(RunConfig cfg, Path out, PrintWriter console) throws IOException {
        Checked checked = check(cfg, "config");
        NewRunFolder.check(out);
        try (RunLock lock = RunLock.acquire(out)) {
            NewRunFolder.prepare(out, console);
            AtomicFiles.writeString(out.resolve("config.yaml"), ConfigLoader.toYaml(cfg));
            return new Pipeline(cfg, out, checked, console).run(false);
        }
    }

    /**
     * Continues the run in {@code out} with its own config.yaml (the resumed run must be the same run), on
     * {@code device} when it is not null: the device is where a run computes, not what it computes, so a run started
     * on a GPU may go on on the CPU. The saved config is left as it was.
     */
    public static ObjectNode resume(Path out, String device, PrintWriter console) throws IOException {
        Path saved = out.resolve("config.yaml");
        if (!Files.isRegularFile(saved)) throw new IOException(out + ": nothing to resume (no config.yaml); start a run there without --resume");
        try (RunLock lock = RunLock.acquire(out)) {
            RunConfig cfg = ConfigLoader.load(saved, device);
            return new Pipeline(cfg, out, check(cfg, saved.toString()), console).run(true);
        }
    }

    /**
     * What a config can get wrong that only building the run would show (model shapes, such as an image size the
     * patch size does not divide; the task mix; the device), checked before anything is created or trained.
     */
    static Device preflight(RunConfig cfg, String where) {
        return check(cfg, where).device();
    }

    /** A checked config's device, and a dataset's tasks when the check read them (null for the built-in tasks). */
    record Checked(Device device, RunTasks dataset) {}

    /** {@link #preflight}, keeping the dataset the check of its words read, so that the run does not read it again. */
    private static Checked check(RunConfig cfg, String where) {
        RunTasks dataset = null;
        try {
            RunTasks.mix(cfg);
            WordLevelTokenizer tok = TaskTokenizer.create();
            checkReasoner(cfg.reasoner(), "reasoner", tok);
            if (cfg.swapReasoner() != null) checkReasoner(cfg.swapReasoner(), "swap_reasoner", tok);
            checkCaptioner(cfg, visionConfig(cfg), tok);
            if (cfg.tasks().fromJsonl()) {
                dataset = RunTasks.of(cfg);
                checkDatasetWords(cfg, dataset, tok);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        Device device = Device.of(cfg.device());
        device.backend();   // fail now, with the reason, if the device cannot be used
        return new Checked(device, dataset);
    }

    /** A reasoner to train must have a shape the tasks' vocabulary fits; a checkpoint must be readable as one. */
    private static void checkReasoner(RunConfig.ReasonerSpec spec, String key, WordLevelTokenizer tok) {
        if (!spec.fromCheckpoint()) {
            decoderConfig(spec.model(), tok, RunConfig.REASONER_CONTEXT);
            return;
        }
        try {
            Reasoner.checkDirectory(Path.of(spec.pretrained()), spec.prompt());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(key + ".pretrained: " + e.getMessage(), e);
        }
    }

    /** The captioner's decoder: a shape to train, or a checkpoint readable as one whose context holds image, prompt and caption. */
    private static void checkCaptioner(RunConfig cfg, VisionConfig vc, WordLevelTokenizer tok) {
        RunConfig.CaptionerSpec c = cfg.captioner();
        if (!c.fromCheckpoint()) {
            decoderConfig(c.model(), tok, captionerContext(vc, c));
            return;
        }
        try {
            PretrainedDecoder.Checked checked = PretrainedDecoder.check(Path.of(c.pretrained()));
            CaptionerPrompt.forModel(Path.of(c.pretrained()), checked.tokenizer(), c.prompt());
            int needed = captionerContext(vc, c);
            if (checked.config().maxPositions() < needed) {
                throw new IllegalArgumentException("its context of " + checked.config().maxPositions() + " positions is shorter than the "
                        + needed + " the captioner needs (image tokens, prompt, caption)");
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("captioner.pretrained: " + e.getMessage(), e);
        }
    }

    /**
     * A dataset's items must be read as written: a word the captioner's or a reasoner's tokenizer does not know would
     * be {@code <unk>}, and the run would train on other questions than the dataset's. Refused, naming the words.
     */
    private static void checkDatasetWords(RunConfig cfg, RunTasks tasks, WordLevelTokenizer tok) {
        List<TaskItem> items = new ArrayList<>(tasks.train());
        items.addAll(tasks.test());
        List<String> gold = Evaluator.gold(items);
        Tokenizer captioner = cfg.captioner().fromCheckpoint() ? Tokenizers.load(Path.of(cfg.captioner().pretrained()).resolve("tokenizer.json")) : tok;
        for (RunConfig.ReasonerSpec spec : cfg.swapReasoner() == null ? List.of(cfg.reasoner()) : List.of(cfg.reasoner(), cfg.swapReasoner())) {
            Tokenizer reasoner = spec.fromCheckpoint() ? Tokenizers.load(Path.of(spec.pretrained()).resolve("tokenizer.json")) : tok;
            UnknownWords unknown = UnknownWords.find(items, gold, captioner, reasoner);
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("tasks.train_jsonl/test_jsonl: " + unknown.refusal(null, items.size())
                        + " (models trained here know only the built-in tasks' words: give pretrained checkpoints)");
            }
        }
    }

    /** How the captioner is asked: the words of the tasks, or a pretrained decoder's chat format and tokenizer. */
    private CaptionerPrompt captionerPrompt(WordLevelTokenizer tok) {
        RunConfig.CaptionerSpec c = cfg.captioner();
        if (!c.fromCheckpoint()) return new CaptionerPrompt.Words(tok);
        Path dir = Path.of(c.pretrained());
        return CaptionerPrompt.forModel(dir, Tokenizers.load(dir.resolve("tokenizer.json")), c.prompt());
    }

    private CaptionPolicy policy(Captioner cap) {
        return new CaptionPolicy(cap, captionerPrompt, cfg.captioner().maxCaptionTokens(), cfg.reasoner().maxAnswerTokens());
    }

    /** A captioner under models/, with the word-level tokenizer, or with the files of the checkpoint its decoder came from. */
    private void saveCaptioner(String name, Captioner cap, WordLevelTokenizer tok) throws IOException {
        if (cfg.captioner().fromCheckpoint()) models.saveWithCheckpointText(name, cap::save, Path.of(cfg.captioner().pretrained()));
        else models.save(name, cap, tok);
    }

    private ObjectNode run(boolean resume) throws IOException {
        long seed = cfg.seed();
        models = new ModelStore(out);
        evals = new EvalCache(out, w -> say("warning: %s", w));
        Checkpoints checkpoints = new Checkpoints(out);
        stages = ResumableStages.read(out, STAGES, models, stageSeconds, line -> say("%s", line), stage -> {});
        metrics = new MetricsLog(out.resolve("metrics.jsonl"));
        runner = new StageRunner(metrics, checkpoints, cfg.logging().logEvery(), cfg.logging().checkpointEvery(), w -> say("warning: %s", w));
        try {
            say("racro4j %s run in %s on %s (%s)", cfg.rl().algorithm(), out, device, resume ? "resumed; done: " + stages.done() : "new");
            long t = System.nanoTime();
            RunTasks tasks = dataset != null ? dataset : RunTasks.of(cfg);   // a dataset was read by the check already
            List<TaskItem> train = tasks.train();
            List<TaskItem> test = tasks.test();
            WordLevelTokenizer tok = TaskTokenizer.create();
            captionerPrompt = captionerPrompt(tok);
            stageSeconds.put("tasks", secs(t));
            say("tasks: %d train, %d test items (%s), vocabulary %d words", train.size(), test.size(),
                    cfg.tasks().fromJsonl() ? cfg.tasks().trainJsonl() + ", " + cfg.tasks().testJsonl() : cfg.tasks().mix(), tok.vocabSize());

            sideBySide(() -> trainReasoner("reasoner_sft", "reasoner", cfg.reasoner(), tok, train, seed, true),
                    () -> trainCaptioner(tok, train, seed + 2));

            try (Reasoner reasoner = reasoner("reasoner", cfg.reasoner())) {
                t = System.nanoTime();
                List<String> sftCaptions = cachedCaptions("captioner_sft", tok, test, seed);
                Evaluator.Result blind = cachedEval("blind", reasoner, test, Evaluator.blind(test));
                Evaluator.Result oracle = cachedEval("oracle", reasoner, test, Evaluator.gold(test));
                Evaluator.Result sft = cachedEval("sft_captioner", reasoner, test, sftCaptions);
                Evaluator.Result policySft = policyAnswers("captioner_sft", tok, test, sftCaptions);
                stages.finish("eval_before", t);
                say("before RL: blind %.3f, SFT captioner %.3f, oracle %.3f", blind.accuracy(), sft.accuracy(), oracle.accuracy());

                // The swap reasoner is only used by the evaluations: it trains while RL does.
                sideBySide(() -> trainRl(reasoner, tok, train, seed + 3), () -> {
                    if (cfg.swapReasoner() != null) {
                        trainReasoner("swap_reasoner_sft", "swap_reasoner", cfg.swapReasoner(), tok, train, seed + 1, false);
                    }
                });

                t = System.nanoTime();
                List<String> rlCaptions = cachedCaptions("captioner_rl", tok, test, seed);
                Evaluator.Result rl = cachedEval("rl_captioner", reasoner, test, rlCaptions);
                Evaluator.Result policyRl = policyAnswers("captioner_rl", tok, test, rlCaptions);
                Report.Row swapRow = null;
                if (cfg.swapReasoner() != null) {
                    try (Reasoner swap = reasoner("swap_reasoner", cfg.swapReasoner())) {
                        swapRow = new Report.Row(cachedEval("swap_blind", swap, test, Evaluator.blind(test)),
                                cachedEval("swap_sft_captioner", swap, test, sftCaptions), cachedEval("swap_rl_captioner", swap, test, rlCaptions),
                                cachedEval("swap_oracle", swap, test, Evaluator.gold(test)));
                    }
                }
                stages.finish("eval_after", t);
                ObjectNode report = Report.build(cfg, new Report.Row(blind, sft, rl, oracle), swapRow, test.size(), orderedStageSeconds(),
                        cfg.logging().evalSamples());
                if (policySft != null) Report.addPolicyAnswers(report, policySft, policyRl);
                Report.write(out, report);
                writePlots();
                console.println();
                console.print(Report.markdown(report));
                console.flush();
                return report;
            }
        } finally {
            metrics.close();
        }
    }

    /** Runs two independent parts of the run at the same time on the CPU (see {@link SideBySide}). */
    private void sideBySide(Parallel.Job<IOException> a, Parallel.Job<IOException> b) throws IOException {
        SideBySide.run(device.equals(Device.CPU), runner, a, b);
    }

    private Map<String, Double> orderedStageSeconds() {
        Map<String, Double> ordered = new LinkedHashMap<>();
        for (String s : concat("tasks", STAGES)) if (stageSeconds.containsKey(s)) ordered.put(s, stageSeconds.get(s));
        return ordered;
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }

    // ------------------------------------------------------------------------------------------ stages

    /**
     * Trains a reasoner from scratch, or fine-tunes a pretrained checkpoint (in F32, with its own tokenizer and prompt)
     * when its section sets sft; a checkpoint without sft is read as it is and has no stage.
     */
    private void trainReasoner(String stage, String name, RunConfig.ReasonerSpec spec, WordLevelTokenizer tok, List<TaskItem> train, long seed,
                             boolean alongside) throws IOException {
        if (spec.fromCheckpoint() && spec.sft() == null) return;
        stages.run(stage, name, () -> {
            if (spec.fromCheckpoint()) {
                Path dir = Path.of(spec.pretrained());
                ReasonerPrompt prompt = ReasonerPrompt.forModel(dir, Tokenizers.load(dir.resolve("tokenizer.json")), spec.prompt());
                try (CausalLM lm = CausalLM.load(dir, DType.F32, device)) {
                    runner.run(new ReasonerSft(stage, lm, prompt, train, spec, seed), alongside);
                    models.saveWithCheckpointText(name, lm::save, dir);
                }
                return;
            }
            try (CausalLM lm = CausalLM.create(decoderConfig(spec.model(), tok, RunConfig.REASONER_CONTEXT), seed, DType.F32, device)) {
                runner.run(new ReasonerSft(stage, lm, new ReasonerPrompt.Words(tok), train, spec, seed), alongside);
                models.save(name, lm, tok);
            }
        });
    }

    private void trainCaptioner(WordLevelTokenizer tok, List<TaskItem> train, long seed) throws IOException {
        stages.run("captioner_sft", "captioner_sft", () -> {
            RunConfig.CaptionerSpec c = cfg.captioner();
            VisionConfig vc = visionConfig(cfg);
            int context = captionerContext(vc, c);
            boolean visionDone = stages.finishedEarlier("vision_warm_start", "captioner_vision");
            try (Captioner cap = visionDone ? models.loadCaptioner("captioner_vision", device)
                    : c.fromCheckpoint() ? Captioner.around(vc, CausalLM.load(Path.of(c.pretrained()), DType.F32, device), seed + 1)
                    : Captioner.create(vc, decoderConfig(c.model(), tok, context), seed, DType.F32, device)) {
                if (!visionDone && c.visionWarmStart().steps() > 0) {
                    // a stage of its own inside this one: marked done once its model is saved, so that a run stopped
                    // during the captioner's SFT resumes from the warm-started vision encoder
                    long tv = System.nanoTime();
                    RunConfig.VisionWarmStart w = c.visionWarmStart();
                    runner.run(new VisionWarmStart(cap, captionerPrompt.tokenizer(), train, w.steps(), w.batch(), w.lr(), seed), true);
                    saveCaptioner("captioner_vision", cap, tok);
                    stages.finish("vision_warm_start", tv);
                }
                CaptionPolicy policy = policy(cap);
                // RACRO's captioner only captions; PRCO's and outcome-only GRPO's policy also answers, so it learns every role
                runner.run(cfg.rl().algorithm().equals("racro") ? new CaptionerSft(policy, train, c, seed)
                        : new PolicySft(policy, train, c, cfg.reasoner(), seed), true);
                saveCaptioner("captioner_sft", cap, tok);
            }
        });
    }

    private void trainRl(Reasoner reasoner, WordLevelTokenizer tok, List<TaskItem> train, long seed) throws IOException {
        stages.run("rl", "captioner_rl", () -> {
            try (Captioner policyModel = models.loadCaptioner("captioner_sft", device);
                 Captioner referenceModel = models.loadCaptioner("captioner_sft", device)) {
                runner.run(new RlStage(policy(policyModel), policy(referenceModel), reasoner, train, cfg.rl(), seed), cfg.swapReasoner() != null);
                saveCaptioner("captioner_rl", policyModel, tok);
            }
        });
    }

    static VisionConfig visionConfig(RunConfig cfg) {
        RunConfig.Vision v = cfg.captioner().vision();
        return VisionConfig.small(cfg.tasks().imageSize(), v.patchSize(), v.hidden(), v.layers(), v.heads());
    }

    /**
     * Image tokens + the prompt (BOS, template, question) + the longest caption: sampled ones stop at
     * max_caption_tokens, warm-start targets are full descriptions (up to 31 words with EOS).
     */
    static int captionerContext(VisionConfig vc, RunConfig.CaptionerSpec c) {
        return vc.numPatches() + RunConfig.PROMPT_TOKENS + Math.max(c.maxCaptionTokens(), 40);
    }

    static DecoderConfig decoderConfig(RunConfig.Decoder m, WordLevelTokenizer tok, int context) {
        String arch = m.architecture().equals("qwen2") ? DecoderConfig.QWEN2 : DecoderConfig.LLAMA;
        return new DecoderConfig(arch, tok.vocabSize(), m.hidden(), m.intermediate(), m.layers(), m.heads(), m.kvHeads(),
                m.hidden() / m.heads(), context, 10000.0, 1e-6, true, arch.equals(DecoderConfig.QWEN2),
                tok.specialTokens().bos(), List.of(tok.specialTokens().eos()));
    }

    /** The reasoner trained (or fine-tuned) under models/, or the checkpoint it was given as, frozen. */
    private Reasoner reasoner(String name, RunConfig.ReasonerSpec spec) throws IOException {
        Path dir = spec.fromCheckpoint() && spec.sft() == null ? Path.of(spec.pretrained()) : models.dir(name);
        return ModelStore.loadReasoner(name, dir, device, spec.maxAnswerTokens(), spec.prompt());
    }

    // ------------------------------------------------------------------------------------------ evaluation cache

    private List<String> cachedCaptions(String model, WordLevelTokenizer tok, List<TaskItem> test, long seed) throws IOException {
        return evals.captions(model, test.size(), () -> {
            try (Captioner cap = models.loadCaptioner(model, device)) {
                return Evaluator.captions(policy(cap), test, seed);
            }
        });
    }

    /**
     * The policy's own greedy answers when it is trained to answer (PRCO: its Solver reading its own captions;
     * outcome-only GRPO: from the image alone); null for RACRO, whose captioner only captions.
     */
    private Evaluator.Result policyAnswers(String model, WordLevelTokenizer tok, List<TaskItem> test, List<String> captions) throws IOException {
        String algorithm = cfg.rl().algorithm();
        if (algorithm.equals("racro")) return null;
        return evals.result("policy_" + model, () -> {
            try (Captioner cap = models.loadCaptioner(model, device)) {
                return Evaluator.policyAnswers(policy(cap), test, algorithm.equals("prco") ? captions : null, model);
            }
        });
    }

    private Evaluator.Result cachedEval(String name, Reasoner reasoner, List<TaskItem> test, List<String> descriptions) throws IOException {
        return evals.result(name, () -> Evaluator.read(reasoner, test, descriptions, name));
    }

    // ------------------------------------------------------------------------------------------ bookkeeping

    private void writePlots() throws IOException {
        Path dir = out.resolve("plots");
        Path m = out.resolve("metrics.jsonl");
        Plots.write(m, "rl", List.of("reward", "accuracy", "kl", "entropy", "clip_fraction", "response_length", "rollout_tokens_per_s",
                "step_seconds", "groups_kept"), dir);
        for (String s : List.of("reasoner_sft", "swap_reasoner_sft", "vision_warm_start", "captioner_sft", "policy_sft")) Plots.write(m, s, List.of("loss"), dir);
    }

    private void say(String fmt, Object... args) {
        console.println(String.format(java.util.Locale.ROOT, fmt, args));
        console.flush();
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
