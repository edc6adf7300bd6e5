package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.rl.RlConfig;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

/**
 * Each reward design of {@code racro4j study rewards}, as the study builds it from its config (the shared settings and
 * the design's own), scores rollouts exactly as its formula says. The rollouts are built with known parts — which gold
 * facts the evidence states, how many sentences it invents, whether the answer is right, whether the response is
 * well formed — and the expected reward is computed from those parts by the formula written out here, not by the reward
 * classes: a wrong weight, a missing or extra term, or a term computed on the wrong part of the response fails it.
 */
class RewardDesignsTest {
    /** A stand-in for the frozen Reader: a known "probability" per description, recording what it was asked. */
    private static final class FakeReader implements AnswerSource {
        final List<String> read = new ArrayList<>();

        static double p(String description) {
            return (description.length() * 37 % 101) / 100.0;
        }

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
            throw new AssertionError("the designs' utility terms use the expected reward, not sampled answers");
        }

        @Override
        public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
            read.addAll(captions);
            return captions.stream().mapToDouble(FakeReader::p).toArray();
        }
    }

    /** A rollout and the parts it was built from. */
    private record Case(Rollout rollout, String evidence, int neededStated, int needed, int goldStated, int invented, boolean right,
                        boolean wellFormed, boolean leaks) {}

    @ParameterizedTest
    @ValueSource(strings = {"only_accuracy", "vanilla", "mixture", "caption_utility", "perception_verified", "evidence_utility"})
    void theDesignScoresEveryRolloutByItsFormula(String name) throws IOException {
        RewardStudy.Design design = RewardStudy.designs(name).get(0);
        RlConfig rl = RewardStudy.designConfig(RewardStudy.config(null, null), design).rl();
        FakeReader reader = new FakeReader();
        WeightedReward reward = rl.algorithm().equals("racro")
                ? RlStage.captionRewards(rl.rewards(), reader, rl, rl.expectedReasonerReward())
                : RlStage.solverRewards(rl.solverRewards(), reader);
        Role role = design.form() == RewardStudy.Form.CAPTION ? Role.CAPTIONER
                : rl.responseRole();
        assertEquals(switch (design.form()) {
            case ANSWER -> Role.ANSWERER;
            case THINK -> Role.THINKER;
            case DESCRIBE -> Role.DESCRIBER;
            case CAPTION -> Role.CAPTIONER;
        }, role, "the response form the design trains is the one it is evaluated in");
        List<Case> cases = cases(role, new SplittableRandom(name.hashCode()));
        List<Rollout> rollouts = cases.stream().map(Case::rollout).toList();
        double[] got = reward.score(rollouts, 5);
        double[] varied = new double[] {Double.MAX_VALUE, -Double.MAX_VALUE};
        for (int i = 0; i < cases.size(); i++) {
            double want = expected(name, cases.get(i));
            assertEquals(want, got[i], 1e-9, name + " on " + cases.get(i));
            varied[0] = Math.min(varied[0], want);
            varied[1] = Math.max(varied[1], want);
        }
        assertTrue(varied[1] - varied[0] > 0.5, "the cases span different rewards: " + varied[0] + " .. " + varied[1]);
        if (name.equals("evidence_utility")) {
            List<String> evidence = cases.stream().map(Case::evidence).toList();
            assertEquals(evidence, reader.read, "the Reader reads the evidence alone, every response's");
        }
    }

    /** The designs' formulas (RewardStudy.DESIGNS, README "Reward study"). */
    private static double expected(String design, Case c) {
        double acc = c.right() ? 1 : 0;
        double format = c.wellFormed() ? 1 : 0;
        int sentences = c.goldStated() + c.invented();
        double description = (double) c.neededStated() / c.needed() - (sentences == 0 ? 0 : (double) c.invented() / sentences);
        return switch (design) {
            case "only_accuracy" -> acc;
            case "vanilla" -> acc + 0.2 * format;
            case "mixture" -> acc + 0.2 * format + 0.5 * description;
            case "caption_utility" -> FakeReader.p(c.evidence()) - (c.leaks() ? 1 : 0);
            case "perception_verified" -> acc + 0.2 * format + 0.2 * (c.goldStated() - c.invented());
            case "evidence_utility" -> acc + 0.2 * format + FakeReader.p(c.evidence());
            default -> throw new IllegalArgumentException(design);
        };
    }

    /** Rollouts over random items with needed facts: evidence from true and invented sentences, right and wrong answers. */
    private static List<Case> cases(Role role, SplittableRandom r) {
        List<TaskItem> items = new ArrayList<>();
        for (TaskItem t : new TaskGenerator(r.nextLong()).generate(Split.TRAIN, 200)) {
            if (!t.neededFacts().isEmpty() && !t.answer().equals("20") && !t.answer().equals("19")) items.add(t);
        }
        List<Case> out = new ArrayList<>();
        for (int n = 0; n < 60; n++) {
            TaskItem t = items.get(r.nextInt(items.size()));
            TaskItem other = items.get(r.nextInt(items.size()));
            Set<String> said = new LinkedHashSet<>();
            int neededStated = 0;
            for (int f = 0; f < t.facts().size(); f++) {
                if (r.nextBoolean()) {
                    said.add(t.facts().get(f));
                    if (t.neededFacts().contains(f)) neededStated++;
                }
            }
            int goldStated = said.size();
            int invented = 0;
            for (String f : other.facts()) {
                if (!t.facts().contains(f) && r.nextInt(3) == 0 && said.add(f)) invented++;
            }
            List<String> sentences = new ArrayList<>(said);
            if (!sentences.isEmpty() && r.nextInt(4) == 0) sentences.add(sentences.get(0));   // a repeat states nothing new
            String evidence = String.join(" ", sentences);
            boolean right = r.nextBoolean();
            String answer = right ? t.answer() : (t.answer().equals("yes") ? "no" : t.answer().equals("no") ? "yes" : "20");
            boolean leaks = false;
            boolean stopped = r.nextInt(6) != 0;
            boolean twoMarkers = role.explains() && r.nextInt(6) == 0;
            String text;
            if (role.explains()) {
                text = (evidence.isEmpty() ? "" : evidence + " ") + (twoMarkers ? "answer : 3 " : "") + "answer : " + answer;
            } else if (role == Role.CAPTIONER) {
                leaks = r.nextInt(4) == 0;
                text = evidence + (leaks ? " the answer is " + answer : "");
            } else {
                text = answer;
            }
            boolean wellFormed = stopped && (!role.explains() || (!twoMarkers && !evidence.isEmpty()));
            Rollout rollout = new Rollout(t, role, 0, new int[] {1}, new int[] {2}, text, stopped, null);
            out.add(new Case(rollout, role == Role.CAPTIONER ? text : evidence, neededStated, t.neededFacts().size(), goldStated, invented,
                    right, wellFormed, leaks));
        }
        return out;
    }
}
