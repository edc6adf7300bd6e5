package org.racro4j.training.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
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

    /** A reader that answers each caption with answers fixed by the test, recording what it was asked. */
    static final class ScriptedReader implements AnswerSource {
        final List<List<String>> script;
        final List<String> seenCaptions = new ArrayList<>();

        ScriptedReader(List<List<String>> script) {
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
    void captionUtilityIsTheReadersMeanCorrectnessOverKAnswers() {
        String right = COUNT.answer();
        String wrong = right.equals("1") ? "2" : "1";
        ScriptedReader reader = new ScriptedReader(List.of(List.of(right, right, wrong, right), List.of(wrong, wrong, wrong, wrong)));
        CaptionUtilityReward r = new CaptionUtilityReward(reader, 4, 1f);
        double[] v = r.score(List.of(caption(COUNT, "caption a .", true), caption(COUNT, "caption b .", true)), 0);
        assertArrayEquals(new double[] {0.75, 0}, v, 1e-12);
        assertEquals(List.of("caption a .", "caption b ."), reader.seenCaptions, "the reader sees only the captions");
        double[] e = new CaptionUtilityReward(reader, 1, 1f, true).score(
                List.of(caption(COUNT, "caption a .", true), caption(COUNT, "caption b .", true)), 0);
        assertArrayEquals(new double[] {0.75, 0}, e, 1e-12, "the expected reward asks the reader for P(gold answer)");
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

    @Test
    void solverAccuracyVerifiesTheAnswerLine() {
        Rollout right = new Rollout(COUNT, Role.SOLVER, -1, new int[0], new int[0], COUNT.answer(), true, "c");
        Rollout wrong = new Rollout(COUNT, Role.SOLVER, -1, new int[0], new int[0], "purple", true, "c");
        assertArrayEquals(new double[] {1, 0}, new AnswerAccuracyReward().score(List.of(right, wrong), 0));
    }
}
