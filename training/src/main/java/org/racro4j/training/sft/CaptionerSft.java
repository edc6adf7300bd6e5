package org.racro4j.training.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.racro4j.training.pipeline.Batches;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.DescriptionViews;

/**
 * Warm start of the captioner with no download: image + captioner prompt → a description. Most targets are
 * generic descriptions of the scene (the whole scene, or the scene without some detail: true, but not the
 * evidence the question needs), a few the question-focused gold evidence; the captioner learns to perceive
 * everything but, by default, to describe generically — exactly what RL with the reasoner's reward must change.
 */
public final class CaptionerSft extends SftStage {
    private final CaptionPolicy policy;
    private final List<TaskItem> train;
    private final RunConfig.CaptionerSpec cfg;
    private final long seed;
    private final Set<DescriptionViews.View> views;

    public CaptionerSft(CaptionPolicy policy, List<TaskItem> train, RunConfig.CaptionerSpec cfg, long seed) {
        super("captioner_sft", policy.model(), cfg.sft());
        this.policy = policy;
        this.train = train;
        this.cfg = cfg;
        this.seed = seed;
        this.views = cfg.views();
    }

    @Override
    public Map<String, Object> step(int step) {
        long t0 = System.nanoTime();
        List<TaskItem> batch = Batches.batch(train, cfg.sft().batch(), step, seed);
        SplittableRandom r = new SplittableRandom(Batches.stepSeed(seed, name(), step));
        List<int[]> contexts = new ArrayList<>(batch.size());
        List<int[]> targets = new ArrayList<>(batch.size());
        for (TaskItem item : batch) {
            contexts.add(policy.captionPrompt(item.question()));
            targets.add(policy.captionTarget(DescriptionViews.sample(item, cfg.focusedDescriptionFraction(), views, r)));
        }
        return update(step, t0, () -> policy.score(policy.patches(batch), contexts, targets, 1f, false), false);
    }
}
