package org.racro4j.training.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.tasks.FactSolver;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

class DescriptionViewsTest {
    static final List<TaskItem> ITEMS = new TaskGenerator(5).generate(Split.TRAIN, 400);
    static final WordLevelTokenizer TOK = TaskTokenizer.create();

    @Test
    void everyViewAndPromptUsesOnlyTokenizerWords() {
        for (TaskItem t : ITEMS) {
            for (DescriptionViews.View v : DescriptionViews.partialViews(t.family())) {
                String d = DescriptionViews.render(t, v);
                assertEquals(List.of(), TaskTokenizer.unknown(TOK, d), v + " of " + t.id() + ": " + d);
                assertEquals(List.of(), TaskTokenizer.unknown(TOK, Prompts.reasoner(d, t.question())));
            }
            assertEquals(List.of(), TaskTokenizer.unknown(TOK, Prompts.captioner(t.question())));
        }
    }

    /** Partial views leave out what their name says: no colour words without colours, no digits without values. */
    @Test
    void partialViewsOmitTheirDetail() {
        List<String> colors = List.of("red", "green", "blue", "yellow");
        int checked = 0;
        for (TaskItem t : ITEMS) {
            if (t.family().equals("shapes")) {
                String noColor = DescriptionViews.render(t, DescriptionViews.View.NO_COLOR);
                for (String c : colors) assertFalse((" " + noColor + " ").contains(" " + c + " "), noColor);
                String noPos = DescriptionViews.render(t, DescriptionViews.View.NO_POSITION);
                assertFalse(noPos.contains(" at "), noPos);
                checked++;
            }
            if (t.family().equals("bar_chart")) {
                assertFalse(DescriptionViews.render(t, DescriptionViews.View.NO_VALUE).matches(".*\\d.*"));
            }
            if (t.family().equals("clock")) assertFalse(DescriptionViews.render(t, DescriptionViews.View.SUMMARY).matches(".*\\d.*"));
        }
        assertTrue(checked > 50);
    }

    /**
     * The point of the warm start: the gold description answers every question (FactSolver), while for most
     * questions at least one partial view does not.
     */
    @Test
    void partialViewsLoseAnswersTheGoldDescriptionHas() {
        int lost = 0;
        for (TaskItem t : ITEMS) {
            assertEquals(t.answer(), FactSolver.answer(t.goldDescription(), t.question()).orElse(null), t.id());
            for (DescriptionViews.View v : DescriptionViews.partialViews(t.family())) {
                if (!t.answer().equals(FactSolver.answer(DescriptionViews.render(t, v), t.question()).orElse(null))) {
                    lost++;
                    break;
                }
            }
        }
        assertTrue(lost > ITEMS.size() * 0.8, "questions some partial view cannot answer: " + lost + " of " + ITEMS.size());
    }

    private static final java.util.Set<DescriptionViews.View> PARTIAL = java.util.EnumSet.of(DescriptionViews.View.NO_COLOR,
            DescriptionViews.View.NO_SHAPE, DescriptionViews.View.NO_POSITION, DescriptionViews.View.NO_VALUE, DescriptionViews.View.SUMMARY);

    /** Only the allowed generic views are drawn besides the focused one: with FULL alone, every other draw is the whole scene. */
    @Test
    void samplingDrawsOnlyTheAllowedViews() {
        SplittableRandom r = new SplittableRandom(5);
        int whole = 0;
        int n = 0;
        for (TaskItem t : ITEMS) {
            if (!t.family().equals("shapes") || t.goldDescription().equals(t.neededDescription())) continue;
            for (int i = 0; i < 4; i++, n++) {
                String d = DescriptionViews.sample(t, 0.25, java.util.EnumSet.of(DescriptionViews.View.FULL), r);
                if (d.equals(t.goldDescription())) whole++;
                else assertEquals(t.neededDescription(), d, t.id());
            }
        }
        assertTrue(n > 300 && Math.abs(whole / (double) n - 0.75) < 0.05, "whole-scene share " + whole / (double) n + " over " + n);
        assertThrows(IllegalArgumentException.class, () -> DescriptionViews.View.parse("no_size"));
        assertEquals(DescriptionViews.View.NO_SHAPE, DescriptionViews.View.parse("no_shape"));
    }

    /** The focused gold evidence is drawn with its probability; items where it equals a generic view are skipped. */
    @Test
    void samplingFollowsTheFocusedProbability() {
        SplittableRandom r = new SplittableRandom(3);
        int focused = 0;
        int n = 0;
        for (TaskItem t : ITEMS) {
            String f = t.neededDescription();
            boolean distinct = !DescriptionViews.partialViews(t.family()).isEmpty();
            for (DescriptionViews.View v : DescriptionViews.partialViews(t.family())) distinct &= !DescriptionViews.render(t, v).equals(f);
            if (!distinct) continue;
            for (int i = 0; i < 5; i++, n++) if (DescriptionViews.sample(t, 0.35, PARTIAL, r).equals(f)) focused++;
        }
        double share = focused / (double) n;
        assertTrue(n > 500 && Math.abs(share - 0.35) < 0.04, "share of focused descriptions " + share + " over " + n);
    }

    /** The focused view is exactly the needed facts, and it answers the question (FactSolver). */
    @Test
    void theFocusedViewIsTheNeededFacts() {
        for (TaskItem t : ITEMS) {
            String f = DescriptionViews.render(t, DescriptionViews.View.FOCUSED);
            assertEquals(t.neededDescription(), f);
            if (!f.isEmpty()) assertEquals(t.answer(), FactSolver.answer(f, t.question()).orElse(null), t.id() + ": " + f);
        }
    }
}
