package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.run.Checkpoints;
import org.racro4j.training.run.MetricsLog;
import org.racro4j.training.sft.PolicySft;
import org.racro4j.training.sft.VisionWarmStart;
import org.racro4j.training.tasks.TaskItem;

/**
 * What a study's seed is, whatever the study: its folder {@code seed-N/} laid out like a run (models, checkpoints,
 * metrics.jsonl, eval/, stages.json, result.json), its config (the study's with the seed set), its resumable stages
 * reporting to the study's progress, and the policy's warm start every study begins with.
 */
class StudySeed {
    final long seed;
    final Path dir;
    final RunConfig c;
    final Device device;
    final ModelStore models;
    final EvalCache evals;
    final Map<String, Double> seconds = new LinkedHashMap<>();
    final ResumableStages stages;
    final StudyProgress progress;
    StageRunner runner;

    StudySeed(Path studyDir, RunConfig studyConfig, long seed, List<String> stageNames, Device device, StudyProgress progress) throws IOException {
        this.seed = seed;
        this.dir = studyDir.resolve("seed-" + seed);
        Files.createDirectories(dir);
        this.c = ConfigLoader.override(studyConfig, "seed: " + seed, "study seed " + seed);
        this.device = device;
        this.progress = progress;
        this.models = new ModelStore(dir);
        this.evals = new EvalCache(dir, w -> progress.say("warning: %s", w));
        this.stages = ResumableStages.read(dir, stageNames, models, seconds, line -> progress.say("seed %d: %s", seed, line),
                stage -> progress.stageDone(seed, stage));
        progress.doneEarlier(stages.done().size());
    }

    Path resultFile() {
        return dir.resolve("result.json");
    }

    /** Whether the seed ran to its end earlier: its evaluation is marked done and its result written. */
    boolean finished() {
        return stages.isMarked("eval") && Files.isRegularFile(resultFile());
    }

    /** Opens the seed's metrics log and the stage runner that writes it and the checkpoints. */
    MetricsLog openLog() throws IOException {
        MetricsLog metrics = new MetricsLog(dir.resolve("metrics.jsonl"));
        runner = new StageRunner(metrics, new Checkpoints(dir), c.logging().logEvery(), c.logging().checkpointEvery(),
                w -> progress.say("warning: %s", w));
        return metrics;
    }

    CaptionPolicy policy(Captioner cap, WordLevelTokenizer tok) {
        return new CaptionPolicy(cap, tok, c.captioner().maxCaptionTokens(), c.reasoner().maxAnswerTokens());
    }

    /**
     * The vision warm start, then the policy's SFT in {@code roles} on the same model: two stages, the first inside the
     * second (models policy_vision, policy_sft); with {@code readFirst}, a reading stage before both (model policy_reader:
     * the language model learns to answer from descriptions, text only, as a pretrained LLM has before it sees images;
     * the Reader's examples, with the reasoner's SFT settings). Each stage's model is saved and the stage marked done
     * before the next starts, so that a study stopped in a later one resumes from it; each stage's seconds begin where
     * the one before ends, so not {@link ResumableStages#run}.
     */
    void warmStart(WordLevelTokenizer tok, List<TaskItem> train, List<Role> roles, boolean readFirst) throws IOException {
        if (stages.skip("policy_sft", "policy_sft")) return;
        RunConfig.CaptionerSpec spec = c.captioner();
        VisionConfig vc = Pipeline.visionConfig(c);
        boolean visionDone = stages.skip("vision_warm_start", "policy_vision");
        boolean readDone = !readFirst || visionDone || stages.skip("reader_pretrain", "policy_reader");
        long t = System.nanoTime();
        try (Captioner cap = visionDone ? models.loadCaptioner("policy_vision", device)
                : readFirst && readDone ? models.loadCaptioner("policy_reader", device)
                : Captioner.create(vc, Pipeline.decoderConfig(spec.model(), tok, Pipeline.captionerContext(vc, spec)), seed + 2, DType.F32, device)) {
            if (!readDone) {
                runner.run(new PolicySft("reader_pretrain", policy(cap, tok), train, spec.withSft(c.reasoner().sft()), c.reasoner(), seed + 1,
                        List.of(Role.READER)), true);
                models.save("policy_reader", cap, tok);
                stages.finish("reader_pretrain", t);
                t = System.nanoTime();
            }
            if (!visionDone) {
                if (spec.visionWarmStart().steps() > 0) {
                    RunConfig.VisionWarmStart w = spec.visionWarmStart();
                    runner.run(new VisionWarmStart(cap, tok, train, w.steps(), w.batch(), w.lr(), seed + 2), true);
                }
                models.save("policy_vision", cap, tok);
                stages.finish("vision_warm_start", t);
                t = System.nanoTime();
            }
            runner.run(new PolicySft(policy(cap, tok), train, spec, c.reasoner(), seed + 2, roles), true);
            models.save("policy_sft", cap, tok);
        }
        stages.finish("policy_sft", t);
    }
}
