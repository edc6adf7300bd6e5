package org.racro4j.training.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.training.pipeline.Batches;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.DescriptionViews;
import org.racro4j.training.text.Explained;

/**
 * Warm start of the end-to-end policy in its roles, with no download: each example of a batch is, in equal shares, one
 * of the roles asked for. PRCO's study teaches three: a caption (image + question → a description, drawn as
 * {@link CaptionerSft} draws them), a Solver answer (image + question + a description → the answer; PRCO's
 * "caption-first warm-up": describe, then answer from the description) and a direct answer (image + question → the
 * answer). The Solver's descriptions are what the policy itself writes after this warm start (the caption targets' mix
 * of focused evidence and whole scenes), and sometimes a partial view or nothing, as the reasoner's are, so that it
 * also answers from incomplete captions. The reward study adds the Reader (a description of that kind and the question,
 * no image → the answer) and the Thinker and Describer (image + question → a caption target, then the answer line): at
 * this scale a "thought" is the evidence restated, so the two differ in their prompt, and in the study in their reward.
 *
 * <p>The loss is the mean over examples of each example's mean token NLL: with the usual mean over all target
 * tokens, the 30-word captions would outweigh the 1-2-word answers fifteen to one.
 */
public final class PolicySft extends SftStage {
    /** The roles a warm-start example teaches in PRCO's study, one third of the examples each. */
    public static final List<Role> ROLES = List.of(Role.CAPTIONER, Role.SOLVER, Role.ANSWERER);

    private final CaptionPolicy policy;
    private final List<TaskItem> train;
    private final RunConfig.CaptionerSpec cfg;
    private final RunConfig.ReasonerSpec solverDescriptions;
    private final long seed;
    private final Set<DescriptionViews.View> views;
    private final List<Role> roles;

    /** @param solverDescriptions the partial and empty fractions of the Solver's descriptions (the reasoner's) */
    public PolicySft(CaptionPolicy policy, List<TaskItem> train, RunConfig.CaptionerSpec cfg, RunConfig.ReasonerSpec solverDescriptions, long seed) {
        this(policy, train, cfg, solverDescriptions, seed, ROLES);
    }

    /** Examples teach only {@code roles}, drawn uniformly. */
    public PolicySft(CaptionPolicy policy, List<TaskItem> train, RunConfig.CaptionerSpec cfg, RunConfig.ReasonerSpec solverDescriptions, long seed,
              List<Role> roles) {
        this("policy_sft", policy, train, cfg, solverDescriptions, seed, roles);
    }

    /** A stage named {@code name}: the reward study's reading stage is this one with the Reader's role alone. */
    public PolicySft(String name, CaptionPolicy policy, List<TaskItem> train, RunConfig.CaptionerSpec cfg, RunConfig.ReasonerSpec solverDescriptions,
                     long seed, List<Role> roles) {
        super(name, policy.model(), cfg.sft());
        this.roles = List.copyOf(roles);
        this.policy = policy;
        this.train = train;
        this.cfg = cfg;
        this.solverDescriptions = solverDescriptions;
        this.seed = seed;
        this.views = cfg.views();
    }

    /** One example: the role it teaches, its prompt (after the image) and its target. */
    record Example(Role role, int[] context, int[] target) {}

    /** The example {@code item} gives for {@code role}, its random choices drawn from r. */
    Example example(TaskItem item, Role role, SplittableRandom r) {
        Tokenizer tok = policy.tokenizer();
        return switch (role) {
            case CAPTIONER -> new Example(role, policy.captionPrompt(item.question()),
                    ReasonerSft.withEos(tok, DescriptionViews.sample(item, cfg.focusedDescriptionFraction(), views, r)));
            case SOLVER -> new Example(role, policy.solverPrompt(solverDescription(item, r), item.question()), ReasonerSft.withEos(tok, item.answer()));
            case ANSWERER -> new Example(role, policy.directPrompt(item.question()), ReasonerSft.withEos(tok, item.answer()));
            case READER -> new Example(role, policy.readerPrompt(solverDescription(item, r), item.question()), ReasonerSft.withEos(tok, item.answer()));
            case THINKER, DESCRIBER -> new Example(role, policy.prompt(role, item.question()), ReasonerSft.withEos(tok,
                    Explained.of(DescriptionViews.sample(item, cfg.focusedDescriptionFraction(), views, r), item.answer())));
        };
    }

    private String solverDescription(TaskItem item, SplittableRandom r) {
        double u = r.nextDouble();
        if (u < solverDescriptions.emptyFraction()) return "";
        if (u < solverDescriptions.emptyFraction() + solverDescriptions.partialFraction()) return DescriptionViews.samplePartial(item, r);
        return DescriptionViews.sample(item, cfg.focusedDescriptionFraction(), views, r);
    }

    @Override
    public Map<String, Object> step(int step) {
        long t0 = System.nanoTime();
        List<TaskItem> batch = Batches.batch(train, cfg.sft().batch(), step, seed);
        SplittableRandom r = new SplittableRandom(Batches.stepSeed(seed, name(), step));
        // rows after the image's tokens and rows without them (the Reader's) are scored apart, as one loss
        List<TaskItem> seen = new ArrayList<>();
        List<int[]> seenContexts = new ArrayList<>();
        List<int[]> seenTargets = new ArrayList<>();
        List<int[]> readContexts = new ArrayList<>();
        List<int[]> readTargets = new ArrayList<>();
        for (TaskItem item : batch) {
            Example e = example(item, roles.get(r.nextInt(roles.size())), r);
            if (e.role().seesImage()) {
                seen.add(item);
                seenContexts.add(e.context());
                seenTargets.add(e.target());
            } else {
                readContexts.add(e.context());
                readTargets.add(e.target());
            }
        }
        return updateParts(step, t0, () -> {
            List<TeacherForcing.Scores> parts = new ArrayList<>(2);
            if (!seen.isEmpty()) parts.add(policy.score(policy.patches(seen), seenContexts, seenTargets, 1f, false));
            if (!readContexts.isEmpty()) parts.add(policy.score(null, readContexts, readTargets, 1f, false));
            return parts;
        }, true);
    }
}
