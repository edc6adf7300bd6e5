package org.racro4j.training.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskGeneratorConfig;
import org.racro4j.training.tasks.TaskMix;
import org.racro4j.training.tasks.TaskItem;

class RewardsTest {
    static final TaskItem COUNT = find("count_color");

    static TaskItem find(String category) {
        for (TaskItem t : new TaskGenerator(9).generate(Split.TRAIN, 200)) {
            if (t.category().equals(category) && t.neededFacts().size() >= 2) return t;
        }
        throw new AssertionError(category);
    }

    static Rollout caption(TaskItem t, String text, boolean stopped) {
        return new Rollout(t, Role.CAPTIONER, 0, new int[] {2}, new int[] {4, 5}, text, stopped, null);
    }

    /** A reasoner that answers each caption with answers fixed by the test, recording what it was asked. */
    static final class ScriptedReasoner implements AnswerSource {
        final List<List<String>> script;
        final List<String> seenCaptions = new ArrayList<>();

        ScriptedReasoner(List<List<String>> script) {
            this.script = script;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
            seenCaptions.addAll(captions);
            List<List<Answer>> out = new ArrayList<>();
            for (int i = 0; i < captions.size(); i++) {
                List<Answer> row = new ArrayList<>();
                for (int j = 0; j < k; j++) row.add(new Answer(script.get(i).get(j), new int[0], new int[0], true));
                out.add(row);
            }
            return out;
        }

        @Override
        public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
            double[] p = new double[captions.size()];
            for (int i = 0; i < p.length; i++) {
                String gold = answers.get(i);
                long hits = script.get(i).stream().filter(gold::equals).count();
                p[i] = hits / (double) script.get(i).size();
            }
            return p;
        }
    }

    @Test
    void captionUtilityIsTheReasonersMeanCorrectnessOverKAnswers() {
        String right = COUNT.answer();
        String wrong = right.equals("1") ? "2" : "1";
        ScriptedReasoner reasoner = new ScriptedReasoner(List.of(List.of(right, right, wrong, right), List.of(wrong, wrong, wrong, wrong)));
        CaptionUtilityReward r = new CaptionUtilityReward(reasoner, 4, 1f);
        double[] v = r.score(List.of(caption(COUNT, "caption a .", true), caption(COUNT, "caption b .", true)), 0);
        assertArrayEquals(new double[] {0.75, 0}, v, 1e-12);
        assertEquals(List.of("caption a .", "caption b ."), reasoner.seenCaptions, "the reasoner sees only the captions");
        double[] e = new CaptionUtilityReward(reasoner, 1, 1f, true).score(
                List.of(caption(COUNT, "caption a .", true), caption(COUNT, "caption b .", true)), 0);
        assertArrayEquals(new double[] {0.75, 0}, e, 1e-12, "the expected reward asks the reasoner for P(gold answer)");
    }

    @Test
    void leakageFormatAndWeightsCombine() {
        List<Rollout> rs = List.of(
                caption(COUNT, "red circle at top left .", true),      // fine
                caption(COUNT, "answer : 3 .", true),                   // leaks
                caption(COUNT, "red circle at top", false));            // cut off, no closing " ."
        assertArrayEquals(new double[] {0, -1, 0}, new LeakagePenalty().score(rs, 0));
        assertArrayEquals(new double[] {1, 1, 0}, new FormatReward().score(rs, 0));
        WeightedReward w = new WeightedReward(List.of(new WeightedReward.Term(0.5, new FormatReward()), new WeightedReward.Term(2, new LeakagePenalty())));
        assertArrayEquals(new double[] {0.5, -1.5, 0}, w.score(rs, 0), 1e-12);
    }

    /**
     * Needed facts present count for recall; fact-shaped sentences not in the gold description count as false.
     * Built from a real item: caption = its first needed fact + one invented fact.
     */
    @Test
    void groundedRewardIsRecallMinusHalfTheFalseShare() {
        TaskItem t = COUNT;
        String needed = t.facts().get(t.neededFacts().get(0));
        String invented = "purple circle at bottom right .";   // fact-shaped, never a gold fact
        double recall = 1.0 / t.neededFacts().size();
        assertEquals(recall - 0.5 * 0.5, DescriptionGroundedReward.grounding(t, needed + " " + invented), 1e-12);
        assertEquals(1.0, DescriptionGroundedReward.grounding(t, t.goldDescription()), 1e-12);
        assertEquals(0.0, DescriptionGroundedReward.grounding(t, "the image shows a scene with 3 shapes ."), 1e-12);
    }

    /**
     * Arrow items need only the asked arrow's fact: the other arrow's fact adds no recall but is true; a wrong
     * direction for the asked arrow is fact-shaped and false.
     */
    @Test
    void groundedRewardOnArrowsNeedsTheAskedArrowOnly() {
        TaskItem t = new TaskGenerator(new TaskGeneratorConfig(9, 48, TaskMix.parse("arrow_turn=1"))).item(Split.TRAIN, 0);
        assertEquals(1, t.neededFacts().size());
        int asked = t.neededFacts().get(0);
        String needed = t.facts().get(asked);
        String other = t.facts().get(1 - asked);
        String[] w = needed.split(" ");
        String wrong = "the " + w[1] + " arrow points " + (w[4].equals("up") ? "down" : "up") + " .";
        assertEquals(1.0, DescriptionGroundedReward.grounding(t, t.goldDescription()), 1e-12);
        assertEquals(1.0, DescriptionGroundedReward.grounding(t, needed), 1e-12);
        assertEquals(0.0, DescriptionGroundedReward.grounding(t, other), 1e-12);
        assertEquals(-0.5, DescriptionGroundedReward.grounding(t, wrong), 1e-12);
        assertEquals(-0.25, DescriptionGroundedReward.grounding(t, other + " " + wrong), 1e-12);
        assertEquals(0.0, DescriptionGroundedReward.grounding(t, "the image shows a red arrow and a blue arrow ."), 1e-12);
    }

    @Test
    void solverAccuracyVerifiesTheAnswerLine() {
        Rollout right = new Rollout(COUNT, Role.SOLVER, -1, new int[0], new int[0], COUNT.answer(), true, "c");
        Rollout wrong = new Rollout(COUNT, Role.SOLVER, -1, new int[0], new int[0], "purple", true, "c");
        assertArrayEquals(new double[] {1, 0}, new AnswerAccuracyReward().score(List.of(right, wrong), 0));
    }

    static Rollout solver(TaskItem t, String text, boolean stopped) {
        return new Rollout(t, Role.SOLVER, -1, new int[] {2}, new int[] {4}, text, stopped, "a caption .");
    }

    /** Each answer marker a caption can carry is penalised; Solver rollouts, whose job is to answer, never are. */
    @Test
    void leakageCatchesEveryAnswerMarkerInCaptionsOnly() {
        for (String leaking : List.of("answer : 3 .", "the answer is \\boxed{3} .", "\\boxed{red}", "red circle . the answer is red .",
                "Answer: 3", "so the ANSWER, 3", "three shapes . answer")) {
            assertEquals(-1, new LeakagePenalty().score(List.of(caption(COUNT, leaking, true)), 0)[0], 0, "caption " + leaking);
            assertEquals(0, new LeakagePenalty().score(List.of(solver(COUNT, leaking, true)), 0)[0], 0, "solver " + leaking);
        }
        for (String clean : List.of("red circle at top left .", "answers are not given .", "an unanswerable scene .", "boxed red square .", "")) {
            assertEquals(0, new LeakagePenalty().score(List.of(caption(COUNT, clean, true)), 0)[0], 0, "caption " + clean);
        }
    }

    /**
     * A caption is well formed when it ended by itself and is a run of sentences closed by " ."; a Solver answer when
     * it ended by itself and reads as one answer line.
     */
    @Test
    void formatFollowsEachRolesForm() {
        FormatReward f = new FormatReward();
        assertArrayEquals(new double[] {1, 1, 0, 0, 0, 0}, f.score(List.of(
                caption(COUNT, "red circle at top left . blue square at middle center .", true),
                caption(COUNT, ".", true),
                caption(COUNT, "red circle at top left", true),           // stopped, but the sentence is not closed
                caption(COUNT, "red circle at top left .", false),        // closed, but cut off by the length limit
                caption(COUNT, "   ", true),
                caption(COUNT, "red circle at top left.", true)), 0));    // the task tokens close with " ."
        assertArrayEquals(new double[] {1, 0, 0, 0, 0}, f.score(List.of(
                solver(COUNT, COUNT.answer(), true),
                solver(COUNT, COUNT.answer(), false),
                solver(COUNT, "", true),
                solver(COUNT, "3 answer : 4", true),     // two answer lines: hedging
                solver(COUNT, ". 3", true)), 0));        // the answer line ends before any answer
    }

    /** A term's value is its weight times its reward; terms of weight 0 are never computed; each term has its own seed. */
    @Test
    void weightedSumAddsEachTermTimesItsWeight() {
        List<Long> seeds = new ArrayList<>();
        Reward first = fixed("first", new double[] {0.5, -1, 2}, seeds);
        Reward second = fixed("second", new double[] {3, 0.25, -0.5}, seeds);
        Reward never = new Reward() {
            @Override
            public String name() {
                return "never";
            }

            @Override
            public double[] score(List<Rollout> rollouts, long seed) {
                throw new AssertionError("a term of weight 0 is not computed");
            }
        };
        WeightedReward w = new WeightedReward(List.of(new WeightedReward.Term(0.7, first), new WeightedReward.Term(0, never),
                new WeightedReward.Term(-1.5, second)));
        List<Rollout> three = List.of(caption(COUNT, "a .", true), caption(COUNT, "b .", true), caption(COUNT, "c .", true));
        assertArrayEquals(new double[] {0.7 * 0.5 - 1.5 * 3, 0.7 * -1 - 1.5 * 0.25, 0.7 * 2 - 1.5 * -0.5}, w.score(three, 10), 1e-12);
        double[][] terms = w.scoreTerms(three, 10);
        assertArrayEquals(new double[] {0.5, -1, 2}, terms[0], 0);
        assertArrayEquals(new double[] {0, 0, 0}, terms[1], 0);
        assertArrayEquals(new double[] {3, 0.25, -0.5}, terms[2], 0);
        assertEquals(4, seeds.size());
        assertTrue(!seeds.get(0).equals(seeds.get(1)), "terms draw from different seeds: " + seeds);
        assertEquals(seeds.subList(0, 2), seeds.subList(2, 4), "the same seed gives the same term seeds");
        assertEquals("0.700000*first + 0.00000*never + -1.50000*second", w.name());
        assertEquals(3, w.terms().size());
        assertSame(second, w.terms().get(2).reward());
    }

    @Test
    void weightedRewardRefusesNoTermsAndATermOfTheWrongLength() {
        assertThrows(IllegalArgumentException.class, () -> new WeightedReward(List.of()));
        WeightedReward w = new WeightedReward(List.of(new WeightedReward.Term(1, fixed("short", new double[] {1}, new ArrayList<>()))));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> w.score(List.of(caption(COUNT, "a .", true), caption(COUNT, "b .", true)), 0));
        assertTrue(e.getMessage().contains("short") && e.getMessage().contains("1 values for 2 rollouts"), e.getMessage());
    }

    /** The names are the keys of the run's metrics (reward_format, reward_leakage, ...) and of the report. */
    @Test
    void rewardNamesAreTheMetricKeys() {
        ScriptedReasoner reasoner = new ScriptedReasoner(List.of());
        assertEquals("caption_utility(scripted, k=3)", new CaptionUtilityReward(reasoner, 3, 1f).name());
        assertEquals("caption_utility(scripted, expected)", new CaptionUtilityReward(reasoner, 1, 1f, true).name());
        assertEquals("format", new FormatReward().name());
        assertEquals("leakage", new LeakagePenalty().name());
        assertEquals("grounded", new DescriptionGroundedReward().name());
        assertEquals("accuracy", new AnswerAccuracyReward().name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CaptionUtilityReward(reasoner, 0, 1f));
        assertTrue(e.getMessage().contains("k must be >= 1"), e.getMessage());
    }

    /** Items without facts score 0; with facts but none needed, any sentence is full recall; scores come per rollout. */
    @Test
    void groundedRewardEdgesAndPerRolloutScores() {
        TaskItem external = new TaskItem("x:1", "external", "other", COUNT.image(), "q ?", "3", COUNT.answerType(), List.of(), "free text",
                List.of(), List.of(), 1);
        assertEquals(0, DescriptionGroundedReward.grounding(external, COUNT.goldDescription()), 0);
        TaskItem noneNeeded = new TaskItem("x:2", COUNT.family(), COUNT.category(), COUNT.image(), COUNT.question(), COUNT.answer(),
                COUNT.answerType(), List.of(), COUNT.goldDescription(), COUNT.facts(), List.of(), 2);
        assertEquals(1, DescriptionGroundedReward.grounding(noneNeeded, "anything at all ."), 0);
        assertEquals(0, DescriptionGroundedReward.grounding(noneNeeded, ""), 0);
        String needed = COUNT.facts().get(COUNT.neededFacts().get(0));
        double one = 1.0 / COUNT.neededFacts().size();
        assertArrayEquals(new double[] {one, 0, 1}, new DescriptionGroundedReward().score(List.of(caption(COUNT, needed, true),
                caption(COUNT, "nothing here .", true), caption(COUNT, COUNT.goldDescription(), true)), 0), 1e-12);
    }

    private static Reward fixed(String name, double[] values, List<Long> seeds) {
        return new Reward() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public double[] score(List<Rollout> rollouts, long seed) {
                seeds.add(seed);
                return values.clone();
            }
        };
    }
}
