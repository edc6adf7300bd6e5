package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every generated answer is recomputed from the facts by {@link FactSolver}, which reads only text (no
 * scene objects), so generator and solver are two independent computations that must agree.
 */
class AnswerConsistencyTest {

    private static final int ITEMS = 6000;
    /** Categories where dropping any needed fact must change (or lose) the answer. */
    private static final Set<TaskCategory> MINIMAL_NEEDED = Set.of(
            TaskCategory.COUNT_COLOR, TaskCategory.COUNT_SHAPE, TaskCategory.ARITHMETIC, TaskCategory.ATTRIBUTE,
            TaskCategory.SPATIAL, TaskCategory.CHART_VALUE, TaskCategory.CHART_SUM, TaskCategory.CLOCK_HOUR,
            TaskCategory.CLOCK_LATER, TaskCategory.GRID_STEPS, TaskCategory.KNIGHT_MOVES, TaskCategory.ARROW_TURN);
    // not MAZE_STEPS: a wall off every shortest path is needed to know that, but leaving it out keeps the answer

    private static List<TaskItem> items() {
        return new TaskGenerator(21).generate(Split.TRAIN, ITEMS);
    }

    @Test
    void answerFollowsFromTheGoldDescription() {
        Map<TaskCategory, Integer> seen = new EnumMap<>(TaskCategory.class);
        for (TaskItem item : items()) {
            Optional<String> solved = FactSolver.answer(item.goldDescription(), item.question());
            assertEquals(Optional.of(item.answer()), solved, item.id() + ": " + item.question() + " | " + item.goldDescription());
            seen.merge(TaskCategory.fromId(item.category()), 1, Integer::sum);
        }
        assertEquals(TaskCategory.values().length, seen.size(), "every category checked: " + seen);
    }

    @Test
    void neededFactsAloneGiveTheAnswer() {
        for (TaskItem item : items()) {
            assertEquals(Optional.of(item.answer()), FactSolver.answer(item.neededDescription(), item.question()),
                    item.id() + ": " + item.question() + " | needed: " + item.neededDescription());
        }
    }

    @Test
    void neededFactsAreMinimalWhereThatIsWellDefined() {
        int checked = 0;
        for (TaskItem item : items()) {
            if (!MINIMAL_NEEDED.contains(TaskCategory.fromId(item.category()))) {
                continue;
            }
            for (int drop = 0; drop < item.neededFacts().size(); drop++) {
                List<String> fewer = new ArrayList<>();
                for (int k = 0; k < item.neededFacts().size(); k++) {
                    if (k != drop) {
                        fewer.add(item.facts().get(item.neededFacts().get(k)));
                    }
                }
                Optional<String> answer = FactSolver.answer(String.join(" ", fewer), item.question());
                assertNotEquals(Optional.of(item.answer()), answer,
                        item.id() + ": still answerable without needed fact " + drop + ": " + item.question());
                checked++;
            }
        }
        assertTrue(checked > 1000, "checked " + checked);
    }

    @Test
    void answersHaveTheirDeclaredType() {
        Set<String> words = Set.of("red", "green", "blue", "yellow", "circle", "square", "triangle", "up", "right", "down",
                "left");
        for (TaskItem item : items()) {
            switch (item.answerType()) {
                case NUMBER -> assertTrue(item.answer().matches("[0-9]|1[0-9]"), item.id() + ": " + item.answer());
                case YES_NO -> assertTrue(item.answer().equals("yes") || item.answer().equals("no"), item.id());
                case WORD -> assertTrue(words.contains(item.answer()), item.id() + ": " + item.answer());
            }
            assertTrue(item.choices().isEmpty());
        }
    }

    @Test
    void yesNoAnswersAreBalanced() {
        int yes = 0;
        int total = 0;
        for (TaskItem item : items()) {
            if (item.answerType() == AnswerType.YES_NO) {
                total++;
                yes += item.answer().equals("yes") ? 1 : 0;
            }
        }
        double fraction = yes / (double) total;
        assertTrue(total > 300 && fraction > 0.42 && fraction < 0.58, "yes fraction " + fraction + " of " + total);
    }

    @Test
    void clockArithmeticWrapsAtTwelve() {
        assertEquals(2, ClockFace.hourAfter(11, 3));
        assertEquals(12, ClockFace.hourAfter(12, 12));
        assertEquals(12, ClockFace.hourAfter(9, 3));
        assertEquals(1, ClockFace.hourAfter(12, 1));
    }
}
