package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.roles.TextCompletion;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.text.TaskTokenizer;

/**
 * A captioner small enough for a test to run GRPO steps on in milliseconds: 48-pixel images, one vision layer, a
 * 2-layer decoder of width 32 over the task vocabulary. Its weights are redrawn larger than the initialisation, so
 * that images, temperatures and updates change the log-probabilities measurably.
 */
final class TinyPolicy {
    static final WordLevelTokenizer TOK = TaskTokenizer.create();
    static final int MAX_CAPTION_TOKENS = 7;
    static final int MAX_ANSWER_TOKENS = 3;

    private TinyPolicy() {}

    /** The same seed gives the same weights, so a test can run code under test and its reference on twin policies. */
    static CaptionPolicy create(long seed) {
        VisionConfig vc = VisionConfig.small(48, 16, 24, 1, 2);
        DecoderConfig dc = new DecoderConfig(DecoderConfig.QWEN2, TOK.vocabSize(), 32, 48, 2, 4, 2, 8, vc.numPatches() + 96, 10000.0,
                1e-6, true, true, TOK.specialTokens().bos(), List.of(TOK.specialTokens().eos()));
        Captioner cap = Captioner.create(vc, dc, seed, DType.F32, Device.CPU);
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(seed + 1);
            for (Tensor t : cap.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.3f));
        }
        return new CaptionPolicy(cap, TOK, MAX_CAPTION_TOKENS, MAX_ANSWER_TOKENS);
    }

    static List<TaskItem> tasks(int n) {
        return new TaskGenerator(5).generate(Split.TRAIN, n);
    }

    /**
     * {@code perTask} captions of each task sampled at captionT (image rows point into {@code patches}), then one
     * Solver answer per caption sampled at answerT, with the roles interleaved so that minibatches mix image and text
     * rows.
     */
    static List<Rollout> mixedRollouts(CaptionPolicy p, List<TaskItem> tasks, Tensor patches, int perTask, float captionT,
                                       float answerT, long seed) {
        List<String> questions = new ArrayList<>();
        long[] rows = new long[tasks.size() * perTask];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i / perTask;
            questions.add(tasks.get(i / perTask).question());
        }
        List<Generated> captions = p.caption(patches.indexSelect(0, Tensor.ofLongs(rows, rows.length)), questions, captionT, seed);
        List<int[]> answerPrompts = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            answerPrompts.add(TextCompletion.promptIds(TOK, Prompts.reasoner(p.text(captions.get(i).tokens()), questions.get(i))));
        }
        List<Generated> answers = TextCompletion.complete(p.model().languageModel(), TOK, null, answerPrompts, MAX_ANSWER_TOKENS, answerT,
                seed + 1);
        List<Rollout> out = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            TaskItem task = tasks.get((int) rows[i]);
            Generated c = captions.get(i);
            out.add(new Rollout(task, Role.CAPTIONER, (int) rows[i], p.captionPrompt(questions.get(i)), c.tokens(), p.text(c.tokens()),
                    c.stopped(), null));
            Generated a = answers.get(i);
            out.add(new Rollout(task, Role.SOLVER, -1, answerPrompts.get(i), a.tokens(), p.text(a.tokens()), a.stopped(),
                    p.text(c.tokens())));
        }
        return out;
    }

    /**
     * {@link #mixedRollouts}, then for each caption a Solver answer that also sees the caption's image (sampled at
     * answerT) and, per task, {@code perTask} Answerer answers from the image alone (sampled at captionT, as
     * outcome-only RL samples them): rows of four kinds, which PolicyUpdate scores in separate groups.
     */
    static List<Rollout> everyRoleRollouts(CaptionPolicy p, List<TaskItem> tasks, Tensor patches, int perTask, float captionT,
                                           float answerT, long seed) {
        List<Rollout> out = new ArrayList<>(mixedRollouts(p, tasks, patches, perTask, captionT, answerT, seed));
        List<Rollout> captions = out.stream().filter(r -> r.role() == Role.CAPTIONER).toList();
        List<String> texts = new ArrayList<>();
        List<String> questions = new ArrayList<>();
        long[] rows = new long[captions.size()];
        for (int i = 0; i < rows.length; i++) {
            texts.add(captions.get(i).text());
            questions.add(captions.get(i).task().question());
            rows[i] = captions.get(i).image();
        }
        List<List<Answer>> solved = p.solve(patches.indexSelect(0, Tensor.ofLongs(rows, rows.length)), texts, questions, 1, answerT, seed + 2);
        List<String> taskQuestions = new ArrayList<>();
        for (TaskItem t : tasks) taskQuestions.add(t.question());
        List<List<Answer>> direct = p.answerDirectly(patches, taskQuestions, perTask, captionT, seed + 3);
        for (int i = 0; i < rows.length; i++) {
            Answer a = solved.get(i).get(0);
            out.add(new Rollout(captions.get(i).task(), Role.SOLVER, (int) rows[i], a.context(), a.tokens(), a.text(), a.stopped(), texts.get(i)));
        }
        for (int t = 0; t < tasks.size(); t++) {
            for (Answer a : direct.get(t)) out.add(new Rollout(tasks.get(t), Role.ANSWERER, t, a.context(), a.tokens(), a.text(), a.stopped(), null));
        }
        return out;
    }

    /** Every parameter's values, flattened in parameter order, in float64. */
    static double[][] parameters(CaptionPolicy p) {
        List<Tensor> params = p.model().parameters();
        double[][] out = new double[params.size()][];
        for (int i = 0; i < out.length; i++) {
            float[] f = params.get(i).toFloatArray();
            out[i] = new double[f.length];
            for (int j = 0; j < f.length; j++) out[i][j] = f[j];
        }
        return out;
    }
}
