package org.racro4j.training.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.training.pipeline.Batches;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.roles.TextCompletion;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.DescriptionViews;

/**
 * Warm start of a text-only reasoner with no download: (description, question) → answer, supervised. Most
 * descriptions are the question-focused gold evidence (the facts the answer needs); some are partial views of
 * the scene and some empty, so the reasoner also answers sensibly from incomplete captions and, blind, from the
 * question alone.
 */
public final class ReasonerSft extends SftStage {
    private final CausalLM model;
    private final ReasonerPrompt prompt;
    private final List<TaskItem> train;
    private final RunConfig.ReasonerSpec cfg;
    private final long seed;

    /** @param prompt how the reasoner is asked and answers: its tokenizer, template and end token */
    public ReasonerSft(String name, CausalLM model, ReasonerPrompt prompt, List<TaskItem> train, RunConfig.ReasonerSpec cfg, long seed) {
        super(name, model, cfg.sft());
        this.model = model;
        this.prompt = prompt;
        this.train = train;
        this.cfg = cfg;
        this.seed = seed;
    }

    /** The description a training example shows the reasoner: the focused gold evidence, a partial view, or none. */
    static String description(TaskItem item, RunConfig.ReasonerSpec cfg, SplittableRandom r) {
        double u = r.nextDouble();
        if (u < cfg.emptyFraction()) return "";
        if (u < cfg.emptyFraction() + cfg.partialFraction()) return DescriptionViews.samplePartial(item, r);
        return item.neededDescription();
    }

    @Override
    public Map<String, Object> step(int step) {
        long t0 = System.nanoTime();
        List<TaskItem> batch = Batches.batch(train, cfg.sft().batch(), step, seed);
        SplittableRandom r = new SplittableRandom(Batches.stepSeed(seed, name(), step));
        List<int[]> contexts = new ArrayList<>(batch.size());
        List<int[]> targets = new ArrayList<>(batch.size());
        for (TaskItem item : batch) {
            contexts.add(prompt.promptIds(description(item, cfg, r), item.question()));
            targets.add(prompt.answerIds(item.answer()));
        }
        return update(step, t0, () -> TeacherForcing.score(model, null, contexts, targets, 1f, false), false);
    }

    static int[] withEos(Tokenizer tok, String text) {
        return TextCompletion.endedWith(tok, text, tok.specialTokens().eos());
    }
}
