package org.racro4j.training.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.DescriptionViews;

class PerceptionScoreTest {
    private static final String RED = "red circle at top left .";
    private static final String BLUE = "blue square at bottom right .";
    private static final String GREEN = "green triangle at top right .";

    /** Three facts, of which the answer needs the first and the last. */
    private static final TaskItem ITEM = item(List.of(RED, BLUE, GREEN), List.of(0, 2));

    private static final List<TaskItem> BUILT_IN = new TaskGenerator(7).generate(Split.TRAIN, 240);

    private static TaskItem item(List<String> facts, List<Integer> needed) {
        return new TaskItem("t-1", "shapes", "spatial", new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "where ?", "x",
                AnswerType.WORD, List.of(), String.join(" ", facts), facts, needed, 1);
    }

    private static void assertScore(double recall, double invented, double score, String caption) {
        PerceptionScore.Score s = PerceptionScore.of(ITEM, caption);
        assertEquals(recall, s.recall(), 1e-12, "recall of '" + caption + "'");
        assertEquals(invented, s.invented(), 1e-12, "invented of '" + caption + "'");
        assertEquals(score, s.score(), 1e-12, "score of '" + caption + "'");
    }

    @Test
    void goldAndNeededDescriptionsScoreOne() {
        assertScore(1, 0, 1, ITEM.goldDescription());
        assertScore(1, 0, 1, ITEM.neededDescription());
        assertScore(1, 0, 1, GREEN + " " + RED);
    }

    @Test
    void emptyCaptionStatesNothingAndInventsNothing() {
        assertScore(0, 0, 0, "");
        assertScore(0, 0, 0, " \n\t ");
    }

    @Test
    void whitespaceIsNormalisedInsideAndAroundSentences() {
        assertScore(1, 0, 1, "  red   circle at top\tleft .\n green triangle  at top right .  ");
    }

    @Test
    void aWrongSentenceCountsAsInvented() {
        assertScore(0.5, 0.5, 0, RED + " yellow circle at top left .");
        assertScore(1, 1.0 / 3, 2.0 / 3, RED + " the image shows nothing . " + GREEN);
    }

    /** A true fact the question does not need adds no recall and is not invented. */
    @Test
    void unneededTrueFactIsNeitherRecallNorInvented() {
        assertScore(0, 0, 0, BLUE);
        assertScore(0.5, 0, 0.5, BLUE + " " + RED);
    }

    /** True but partial sentences (a generic view) are not facts; so is a word with the full stop glued on. */
    @Test
    void onlyWholeFactSentencesCount() {
        assertScore(0, 1, -1, "circle at top left . triangle at top right .");
        assertScore(0, 1, -1, "red circle at top left.");
    }

    @Test
    void duplicatedSentencesCountOnce() {
        assertScore(0.5, 0.5, 0, RED + " " + RED + " " + RED + " purple square at top left .");
        assertScore(0.5, 0.5, 0, "purple square at top left . purple square at top left . " + RED);
        assertScore(1, 0, 1, RED + " " + GREEN + " " + GREEN);
    }

    @Test
    void aTrailingFragmentIsASentence() {
        assertScore(0.5, 0.5, 0, RED + " green triangle at top right");
        assertScore(0, 1, -1, "red circle");
        assertScore(0, 1, -1, ".");
    }

    @Test
    void sentencesSplitAtFullStopTokens() {
        assertEquals(List.of("a b .", ".", "c d"), PerceptionScore.sentences(" a  b . . c\nd "));
        assertEquals(List.of(), PerceptionScore.sentences(""));
    }

    @Test
    void itemsWithoutNeededFactsHaveNoScore() {
        TaskItem external = new TaskItem("x:1", "external", "other", new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "q ?", "3",
                AnswerType.NUMBER, List.of(), "free text", List.of(), List.of(), 1);
        PerceptionScore.Score s = PerceptionScore.of(external, "free text");
        assertTrue(Double.isNaN(s.recall()) && Double.isNaN(s.invented()) && Double.isNaN(s.score()), s.toString());

        PerceptionScore.Score noneNeeded = PerceptionScore.of(item(List.of(RED, BLUE), List.of()), RED + " pink circle at top left .");
        assertTrue(Double.isNaN(noneNeeded.recall()), noneNeeded.toString());
        assertEquals(0.5, noneNeeded.invented(), 1e-12);
        assertTrue(Double.isNaN(noneNeeded.score()), noneNeeded.toString());
    }

    @Test
    void meanSkipsUnscoredItems() {
        TaskItem external = new TaskItem("x:1", "external", "other", new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "q ?", "3",
                AnswerType.NUMBER, List.of(), "", List.of(), List.of(), 1);
        // scores 1, 0.5, NaN, -1: mean (1 + 0.5 - 1) / 3
        double mean = PerceptionScore.mean(List.of(ITEM, ITEM, external, ITEM),
                List.of(ITEM.goldDescription(), RED, "anything .", "red circle"));
        assertEquals(0.5 / 3, mean, 1e-12);
        assertTrue(Double.isNaN(PerceptionScore.mean(List.of(external), List.of("x ."))));
        assertTrue(Double.isNaN(PerceptionScore.mean(List.of(), List.of())));
    }

    @Test
    void meanRejectsListsOfDifferentSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PerceptionScore.mean(List.of(ITEM, ITEM, ITEM), List.of("a .", "b .")));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("2"), e.getMessage());
    }

    /**
     * Built-in items of every family: the gold, needed and empty captions, and captions with known defects. Counts
     * whose answer is 0 need no fact and have no score.
     */
    @Test
    void builtInItemsScoreAsTheirCaptionsDeserve() {
        Set<String> families = new HashSet<>();
        List<String> gold = new ArrayList<>();
        List<String> wrongCaptions = new ArrayList<>();
        double wrongSum = 0;
        int scored = 0;
        int unscored = 0;
        for (TaskItem item : BUILT_IN) {
            families.add(item.family());
            int distinctFacts = new HashSet<>(item.facts()).size();
            String id = item.id() + " " + item.category();
            String wrong = item.goldDescription() + " the image is upside down .";
            gold.add(item.goldDescription());
            wrongCaptions.add(wrong);
            if (item.neededFacts().isEmpty()) {
                unscored++;
                assertTrue(item.answer().equals("0") || item.category().equals("compare_counts"), id + " answers " + item.answer());
                PerceptionScore.Score s = PerceptionScore.of(item, wrong);
                assertTrue(Double.isNaN(s.recall()) && Double.isNaN(s.score()), id + " " + s);
                assertEquals(1.0 / (distinctFacts + 1), s.invented(), 1e-12, id);
                continue;
            }
            scored++;
            wrongSum += 1 - 1.0 / (distinctFacts + 1);

            PerceptionScore.Score g = PerceptionScore.of(item, item.goldDescription());
            assertEquals(1, g.recall(), 0, id);
            assertEquals(0, g.invented(), 0, id);
            assertEquals(1, PerceptionScore.of(item, item.neededDescription()).score(), 0, id);
            assertEquals(0, PerceptionScore.of(item, "").score(), 0, id);

            PerceptionScore.Score w = PerceptionScore.of(item, wrong);
            assertEquals(1, w.recall(), 0, id);
            assertEquals(1.0 / (distinctFacts + 1), w.invented(), 1e-12, id);

            // leave out the first needed fact: every needed fact with that text is missed
            String missing = item.facts().get(item.neededFacts().get(0));
            List<String> kept = item.facts().stream().filter(f -> !f.equals(missing)).toList();
            long missed = item.neededFacts().stream().filter(i -> item.facts().get(i).equals(missing)).count();
            PerceptionScore.Score partial = PerceptionScore.of(item, String.join(" ", kept));
            assertEquals(1 - missed / (double) item.neededFacts().size(), partial.recall(), 1e-12, id);
            assertEquals(0, partial.invented(), 0, id);

            // a summary names no fact of any family
            String summary = DescriptionViews.render(item, DescriptionViews.View.SUMMARY);
            assertEquals(-1, PerceptionScore.of(item, summary).score(), 0, id + ": " + summary);
        }
        assertEquals(Set.of("shapes", "bar_chart", "clock", "grid_path", "maze", "knight", "arrow"), families);
        assertTrue(scored > 100 && unscored > 0, scored + " scored, " + unscored + " unscored");
        assertEquals(1, PerceptionScore.mean(BUILT_IN, gold), 0);
        assertEquals(wrongSum / scored, PerceptionScore.mean(BUILT_IN, wrongCaptions), 1e-12);
    }
}
