package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shape scenes list their objects colour by colour (red, green, blue, yellow), each colour in reading order, and a
 * colour question's evidence is one contiguous run of the whole-scene description. Read back from the text alone.
 */
class SceneFactOrderTest {
    /** (colour rank in TaskColor's order, row-major cell) of a fact "red circle at top left .", read by SceneFacts. */
    private static int[] key(String fact) {
        List<SceneFacts.ObjectFact> objects = SceneFacts.parse(fact).objects();
        assertEquals(1, objects.size(), () -> "not one shape fact: " + fact);
        SceneFacts.ObjectFact o = objects.get(0);
        int rank = Arrays.stream(TaskColor.values()).map(TaskColor::word).toList().indexOf(o.color());
        return new int[] {rank, 3 * o.row() + o.column()};
    }

    @Test
    void factsAreGroupedByColourThenInReadingOrder() {
        TaskGenerator generator = new TaskGenerator(new TaskGeneratorConfig(13, 48, TaskMix.parse("count_color=1,arithmetic=1,attribute=1")));
        int multiColour = 0;
        for (TaskItem item : generator.generate(Split.TRAIN, 150)) {
            List<int[]> keys = new ArrayList<>();
            for (String f : item.facts()) keys.add(key(f));
            for (int i = 1; i < keys.size(); i++) {
                int[] a = keys.get(i - 1), b = keys.get(i);
                assertTrue(a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]), () -> "out of order: " + item.facts());
            }
            if (keys.stream().mapToInt(k -> k[0]).distinct().count() > 1) multiColour++;
            if (item.category().equals("count_color") && !item.neededFacts().isEmpty()) {
                List<Integer> needed = item.neededFacts();
                assertEquals(needed.size() - 1, needed.get(needed.size() - 1) - needed.get(0),
                        () -> "colour evidence not contiguous: " + needed + " of " + item.facts());
            }
        }
        assertTrue(multiColour > 50, "too few scenes with two colours to test the order: " + multiColour);
    }
}
