package org.racro4j.training.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.TaskItem;

/**
 * Evaluator.read on hand-made items and a scripted reasoner whose answers are right or wrong by construction (the
 * verdict of each is written next to it): accuracy, per-category counts and the per-item record are checked against
 * those hand counts.
 */
class EvaluatorTest {
    /** A reasoner that gives the scripted answer for each question and records what it was asked. */
    static final class ScriptedReasoner implements AnswerSource {
        final List<String> answers;
        List<String> seenCaptions;
        List<String> seenQuestions;
        int seenK;
        float seenTemperature = Float.NaN;

        ScriptedReasoner(List<String> answers) {
            this.answers = answers;
        }

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
            seenCaptions = captions;
            seenQuestions = questions;
            seenK = k;
            seenTemperature = temperature;
            List<List<Answer>> out = new ArrayList<>();
            for (int i = 0; i < questions.size(); i++) out.add(List.of(new Answer(answers.get(i), new int[0], new int[0], true)));
            return out;
        }

        @Override
        public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
            throw new UnsupportedOperationException();
        }
    }

    static TaskItem item(String id, String category, String answer, AnswerType type) {
        return new TaskItem(id, "external", category, new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "question " + id + " ?", answer, type,
                List.of(), "", List.of(), List.of(), 0);
    }

    // item, reasoner's answer, and whether that answer is right (decided by hand)
    private static final List<TaskItem> ITEMS = List.of(
            item("i0", "count", "3", AnswerType.NUMBER),
            item("i1", "count", "4", AnswerType.NUMBER),
            item("i2", "count", "12", AnswerType.NUMBER),
            item("i3", "colour", "red", AnswerType.WORD),
            item("i4", "colour", "blue", AnswerType.WORD),
            item("i5", "yes_no", "no", AnswerType.YES_NO),
            item("i6", "chart", "7", AnswerType.NUMBER));
    private static final List<String> ANSWERS = List.of("3", "four", "13", "the red", "blues", "yes", "7.0");
    private static final boolean[] RIGHT = {true, true, false, true, false, false, true};

    @Test
    void accuracyAndPerCategoryCountsMatchTheHandVerdicts() {
        ScriptedReasoner reasoner = new ScriptedReasoner(ANSWERS);
        List<String> descriptions = List.of("d0", "d1", "", "d3", "d4", "d5", "d6");
        Evaluator.Result r = Evaluator.read(reasoner, ITEMS, descriptions, "some captions");

        assertEquals(4 / 7.0, r.accuracy(), 1e-15);
        assertEquals("scripted", r.reader());
        assertEquals("some captions", r.descriptions());
        assertEquals(List.of("chart", "colour", "count", "yes_no"), new ArrayList<>(r.perCategory().keySet()));
        assertArrayEquals(new int[] {2, 3}, r.perCategory().get("count"));
        assertArrayEquals(new int[] {1, 2}, r.perCategory().get("colour"));
        assertArrayEquals(new int[] {0, 1}, r.perCategory().get("yes_no"));
        assertArrayEquals(new int[] {1, 1}, r.perCategory().get("chart"));
        assertEquals(2 / 3.0, r.categoryAccuracy("count"), 1e-15);
        assertEquals(0.0, r.categoryAccuracy("yes_no"));
        assertTrue(Double.isNaN(r.categoryAccuracy("clock")), "a category without items has no accuracy");

        for (int i = 0; i < ITEMS.size(); i++) {
            Evaluator.ItemResult it = r.items().get(i);
            assertEquals(ITEMS.get(i).id(), it.id());
            assertEquals(ITEMS.get(i).category(), it.category());
            assertEquals(descriptions.get(i), it.description());
            assertEquals(ANSWERS.get(i), it.answer());
            assertEquals(ITEMS.get(i).answer(), it.expected());
            assertEquals(RIGHT[i], it.correct(), "item " + i + ": " + ANSWERS.get(i) + " for " + ITEMS.get(i).answer());
        }
        // the reasoner sees each item's own description and question, once, greedily
        assertEquals(descriptions, reasoner.seenCaptions);
        assertEquals(ITEMS.stream().map(TaskItem::question).toList(), reasoner.seenQuestions);
        assertEquals(1, reasoner.seenK);
        assertEquals(0f, reasoner.seenTemperature);
    }

    @Test
    void noItemsGiveNoAccuracy() {
        Evaluator.Result r = Evaluator.read(new ScriptedReasoner(List.of()), List.of(), List.of(), "blind");
        assertTrue(Double.isNaN(r.accuracy()));
        assertTrue(r.perCategory().isEmpty());
    }

    @Test
    void goldIsTheNeededEvidenceOrTheDatasetsDescriptionAndBlindIsEmpty() {
        TaskItem builtIn = new TaskItem("b", "shapes", "count_color", new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "q", "1",
                AnswerType.NUMBER, List.of(), "red circle at top left . blue square at middle center .",
                List.of("red circle at top left .", "blue square at middle center ."), List.of(1), 0);
        TaskItem external = new TaskItem("e", "external", "x", new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "q", "1", AnswerType.NUMBER,
                List.of(), "a free text description", List.of(), List.of(), 0);
        assertEquals(List.of("blue square at middle center .", "a free text description"), Evaluator.gold(List.of(builtIn, external)));
        assertEquals(List.of("", ""), Evaluator.blind(List.of(builtIn, external)));
    }
}
