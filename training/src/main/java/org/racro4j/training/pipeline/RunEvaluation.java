package org.racro4j.training.pipeline;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.eval.Evaluator;
import org.racro4j.training.eval.UnknownWords;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.CaptionerPrompt;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.tasks.JsonlTasks;
import org.racro4j.training.tasks.TaskItem;

/**
 * Evaluates a captioner and a reasoner of a finished (or partly finished) run: the reasoner blind, reading the
 * captioner's greedy captions, and reading gold descriptions. The reasoner may be any decoder, not the one the
 * captioner was trained with — RACRO's plug-and-play swap, with no retraining. The held-out split, caption length
 * and sampling seed come from the run's config.yaml, and captions and answers are computed the way the pipeline
 * computes them, so evaluating the run's own models reproduces its report.json.
 */
public final class RunEvaluation {
    private RunEvaluation() {}

    /**
     * What to evaluate. Null means the run's default: its RL (else SFT) captioner, its reasoner, its held-out test
     * split of tasks.test_items items, its device. {@code jsonl} replaces the test split by an external dataset.
     * Questions and gold descriptions with words the models' tokenizers do not know are refused unless
     * {@code allowUnknownWords}; then they are evaluated as the models read them (with {@code <unk>}) and counted.
     * {@code reasonerPrompt} ("words" or a paper prompt) and {@code maxAnswerTokens} override how the reasoner is
     * asked; by default the run's own reasoners are asked as the run asked them, and a reasoner from elsewhere by its
     * tokenizer ({@link ReasonerPrompt#forModel}) with the run reasoner's answer length.
     */
    public record Request(Path run, String captioner, String reasoner, Path jsonl, Integer testItems, String device,
                          boolean allowUnknownWords, String reasonerPrompt, Integer maxAnswerTokens) {
        public Request {
            ReasonerPrompt.checkName(reasonerPrompt);
            if (maxAnswerTokens != null && maxAnswerTokens < 1) throw new IllegalArgumentException("max answer tokens must be >= 1, got " + maxAnswerTokens);
        }

        /** Unknown words refused; the reasoner asked as the run asks it. */
        public Request(Path run, String captioner, String reasoner, Path jsonl, Integer testItems, String device) {
            this(run, captioner, reasoner, jsonl, testItems, device, false, null, null);
        }
    }

    /** Runs the evaluation; progress lines go to {@code progress}. Returns the report (see {@link EvalReport}). */
    public static ObjectNode evaluate(Request q, PrintWriter progress) throws IOException {
        RunFolder run = RunFolder.open(q.run());
        RunConfig cfg = run.config();
        RunFolder.ModelRef capRef = run.captioner(q.captioner());
        RunFolder.ModelRef reaRef = run.reasoner(q.reasoner());
        Device device = Device.of(q.device() == null ? cfg.device() : q.device());
        device.backend();   // fail now, with the reason, if the device cannot be used

        List<TaskItem> items;
        String tasks;
        List<String> gold;
        UnknownWords unknown;
        List<String> captions;
        try (Captioner cap = Captioner.load(capRef.dir(), DType.F32, device)) {
            var tok = Tokenizers.load(capRef.dir().resolve("tokenizer.json"));
            if (q.jsonl() != null) {
                // decoded straight to the size the captioner reads, so a dataset of huge images stays small in memory
                items = JsonlTasks.load(q.jsonl(), JsonlTasks.Mode.STRICT, cap.visionConfig().imageSize()).items();
                if (items.isEmpty()) throw new IOException(q.jsonl() + ": no items");
                tasks = "jsonl:" + q.jsonl();
            } else {
                items = RunTasks.of(cfg, q.testItems() == null ? cfg.tasks().testItems() : q.testItems()).test();
                tasks = "held-out test split of the run";
            }
            gold = Evaluator.gold(items);
            // before any model runs: a word read as <unk> makes the score that of another question
            unknown = UnknownWords.find(items, gold, tok, Tokenizers.load(reaRef.dir().resolve("tokenizer.json")));
            if (!unknown.isEmpty() && !q.allowUnknownWords()) throw new IOException(unknown.refusal(q.jsonl(), items.size()));
            if (!unknown.isEmpty()) {
                say(progress, "%d of %d items have words the models do not know; they are read as <unk> and counted", unknown.items().size(),
                        items.size());
            }
            // the run's own captioners are asked as the run asked them; one from elsewhere by its tokenizer
            boolean own = capRef.dir().toAbsolutePath().normalize().startsWith(run.dir().resolve("models").toAbsolutePath().normalize());
            CaptionerPrompt prompt = CaptionerPrompt.forModel(capRef.dir(), tok, own ? cfg.captioner().prompt() : null);
            say(progress, "captioning %d items with %s on %s, prompt %s", items.size(), capRef.name(), device, prompt.describe());
            captions = Evaluator.captions(new CaptionPolicy(cap, prompt, cfg.captioner().maxCaptionTokens(), cfg.reasoner().maxAnswerTokens()),
                    items, cfg.seed());
        }
        boolean hasGold = gold.stream().anyMatch(d -> !d.isBlank());
        RunConfig.ReasonerSpec spec = run.reasonerSpec(reaRef);
        String prompt = q.reasonerPrompt() != null ? q.reasonerPrompt() : run.isOwn(reaRef) ? spec.prompt() : null;
        int maxAnswer = q.maxAnswerTokens() != null ? q.maxAnswerTokens() : spec.maxAnswerTokens();
        try (Reasoner reasoner = ModelStore.loadReasoner(reaRef.name(), reaRef.dir(), device, maxAnswer, prompt)) {
            say(progress, "reading with %s, prompt %s", reasoner.name(), reasoner.prompt().describe());
            Evaluator.Result blind = Evaluator.read(reasoner, items, Evaluator.blind(items), "blind");
            Evaluator.Result captioned = Evaluator.read(reasoner, items, captions, capRef.name());
            Evaluator.Result oracle = hasGold ? Evaluator.read(reasoner, items, gold, "oracle") : null;
            return EvalReport.build(run, tasks, capRef, device.toString(), blind, captioned, oracle, unknown, cfg.logging().evalSamples());
        }
    }

    private static void say(PrintWriter progress, String fmt, Object... args) {
        progress.println(String.format(Locale.ROOT, fmt, args));
        progress.flush();
    }
}
