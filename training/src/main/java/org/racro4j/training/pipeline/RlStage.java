package org.racro4j.training.pipeline;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.LrSchedule;
import org.racro4j.training.reward.AnswerAccuracyReward;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.reward.DescriptionGroundedReward;
import org.racro4j.training.reward.DescriptionScoreReward;
import org.racro4j.training.reward.EvidenceUtilityReward;
import org.racro4j.training.reward.FactCountReward;
import org.racro4j.training.reward.FormatReward;
import org.racro4j.training.reward.LeakagePenalty;
import org.racro4j.training.reward.Reward;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.rl.PolicyUpdate;
import org.racro4j.training.rl.OutcomeStep;
import org.racro4j.training.rl.PrcoStep;
import org.racro4j.training.rl.RacroStep;
import org.racro4j.training.rl.RlAlgorithm;
import org.racro4j.training.rl.RlConfig;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.tasks.TaskItem;

/**
 * The RL stage: the schedule, batches and optimizer around one {@link RlAlgorithm} — RACRO (captioner + frozen
 * reasoner), PRCO (one policy as Observer and Solver) or outcome-only GRPO (the policy answering directly).
 */
public final class RlStage implements Stage {
    private final CaptionPolicy policy;
    private final List<TaskItem> train;
    private final RlConfig cfg;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final long seed;
    private final RlAlgorithm algorithm;
    private final String name;

    /**
     * @param reasoner the frozen reasoner (RACRO); unused by PRCO and outcome-only GRPO, whose answers are the policy's
     * @param reference the frozen warm-start policy the KL term pulls towards
     */
    public RlStage(CaptionPolicy policy, CaptionPolicy reference, AnswerSource reasoner, List<TaskItem> train, RlConfig cfg, long seed) {
        this(RlAlgorithm.STAGE, policy, reference, reasoner, train, cfg, seed);
    }

    /**
     * A stage named {@code name} (its checkpoints' and metrics' name; a study runs one per arm). Its batches and
     * sampling seeds do not depend on the name: every arm of a study sees the same tasks at every step.
     */
    public RlStage(String name, CaptionPolicy policy, CaptionPolicy reference, AnswerSource reasoner, List<TaskItem> train, RlConfig cfg,
                   long seed) {
        this.name = name;
        this.policy = policy;
        this.train = train;
        this.cfg = cfg;
        this.seed = seed;
        this.optimizer = AdamW.forTransformer(policy.model().parameters(), (float) cfg.lr(), (float) cfg.weightDecay(), 0.9f, 0.99f, 1e-8f);
        this.schedule = LrSchedule.warmupCosine((float) cfg.lr(), cfg.warmupSteps(), cfg.steps(), (float) cfg.lr());
        for (var p : reference.model().parameters()) p.requiresGrad(false);
        PolicyUpdate update = new PolicyUpdate(policy, reference, optimizer, cfg);
        this.algorithm = algorithm(policy, reasoner, cfg, update);
    }

    /** The algorithm rl.algorithm names, with the rewards the config gives it. */
    static RlAlgorithm algorithm(CaptionPolicy policy, AnswerSource reasoner, RlConfig cfg, PolicyUpdate update) {
        return switch (cfg.algorithm()) {
            case "racro" -> new RacroStep(policy, captionRewards(cfg.rewards(), reasoner, cfg, cfg.expectedReasonerReward()), update, cfg);
            case "prco" -> {
                // The Observer's utility comes from the step's own Solver answers; its other terms are caption rewards.
                Map<String, Double> extras = new java.util.LinkedHashMap<>(cfg.rewards());
                Double utility = extras.remove("caption_utility");
                yield new PrcoStep(policy, utility == null ? 1.0 : utility, extras.isEmpty() ? null : captionRewards(extras, null, cfg, false),
                        solverRewards(cfg.solverRewards(), reasoner), update, cfg);
            }
            case "outcome_grpo" -> new OutcomeStep(policy, cfg.responseRole(), solverRewards(cfg.solverRewards(), reasoner), update, cfg);
            default -> throw new IllegalArgumentException("rl.algorithm: no algorithm named " + cfg.algorithm());
        };
    }

    /** The caption reward named in the config: weights of caption_utility, format, leakage, grounded. */
    static WeightedReward captionRewards(Map<String, Double> weights, AnswerSource source, RlConfig cfg, boolean expected) {
        List<WeightedReward.Term> terms = new java.util.ArrayList<>();
        for (var e : weights.entrySet()) {
            Reward r = switch (e.getKey()) {
                case "caption_utility" -> new CaptionUtilityReward(source, cfg.answerSamples(), cfg.answerTemperature(), expected);
                case "format" -> new FormatReward();
                case "leakage" -> new LeakagePenalty();
                case "grounded" -> new DescriptionGroundedReward();
                default -> throw new IllegalArgumentException("rl.rewards." + e.getKey() + " is not a caption reward");
            };
            terms.add(new WeightedReward.Term(e.getValue(), r));
        }
        return new WeightedReward(terms);
    }

    /**
     * The answer rewards named in the config: weights of accuracy, format, and for responses with evidence description,
     * facts and evidence_utility (read by {@code reader}, the frozen reasoner).
     */
    static WeightedReward solverRewards(Map<String, Double> weights, AnswerSource reader) {
        List<WeightedReward.Term> terms = new java.util.ArrayList<>();
        for (var e : weights.entrySet()) {
            Reward r = switch (e.getKey()) {
                case "accuracy" -> new AnswerAccuracyReward();
                case "format" -> new FormatReward();
                case "description" -> new DescriptionScoreReward();
                case "facts" -> new FactCountReward();
                case "evidence_utility" -> new EvidenceUtilityReward(reader);
                default -> throw new IllegalArgumentException("rl.solver_rewards." + e.getKey() + " is not a solver reward");
            };
            terms.add(new WeightedReward.Term(e.getValue(), r));
        }
        return new WeightedReward(terms);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int steps() {
        return cfg.steps();
    }

    @Override
    public Module model() {
        return policy.model();
    }

    @Override
    public AdamW optimizer() {
        return optimizer;
    }

    @Override
    public Map<String, Object> step(int step) {
        optimizer.setLr(schedule.lr(step));
        List<TaskItem> batch = Batches.batch(train, cfg.promptsPerStep(), step, seed);
        long s = Batches.stepSeed(seed, RlAlgorithm.STAGE, step);
        Map<String, Object> m = algorithm.run(batch, step, s);
        m.put("lr", (double) schedule.lr(step));
        return m;
    }

    @Override
    public String summary(Map<String, Object> m) {
        return String.format(Locale.ROOT, "reward %.3f acc %.3f kl %.4f", (double) m.getOrDefault("reward", Double.NaN),
                (double) m.getOrDefault("accuracy", Double.NaN), (double) m.getOrDefault("kl", 0.0));
    }
}
