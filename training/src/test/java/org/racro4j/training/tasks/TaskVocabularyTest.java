package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskVocabularyTest {

    /** Words in the vocabulary on purpose although no generated text uses them. */
    private static final Set<String> NOT_EMITTED_BY_GENERATOR = Set.of(
            ",", ":", "19", "20",
            "image", "scene", "with", "chart", "grid", "some", "objects", "bars", "cells", "hand", "answer");

    @Test
    void everyGeneratedTextUsesOnlyVocabularyWords() {
        Set<String> used = new HashSet<>();
        for (int size : new int[] {48}) {
            for (long seed : new long[] {1, 2}) {
                TaskGenerator generator = new TaskGenerator(TaskGeneratorConfig.defaults(seed).withImageSize(size));
                for (TaskItem item : generator.generate(Split.TRAIN, 3000)) {
                    List<String> texts = new java.util.ArrayList<>(item.facts());
                    texts.add(item.question());
                    texts.add(item.answer());
                    texts.add(item.goldDescription());
                    for (String text : texts) {
                        assertWellFormed(text, item);
                        assertEquals(List.of(), TaskVocabulary.unknownWords(text), item.id() + ": " + text);
                        used.addAll(List.of(text.split(" ")));
                    }
                }
            }
        }
        // The converse: the vocabulary holds no stale words (only the deliberate caption extras).
        Set<String> unused = new HashSet<>(TaskVocabulary.words());
        unused.removeAll(used);
        assertEquals(NOT_EMITTED_BY_GENERATOR, unused);
    }

    private static void assertWellFormed(String text, TaskItem item) {
        assertTrue(!text.isEmpty() && !text.startsWith(" ") && !text.endsWith(" ") && !text.contains("  "),
                item.id() + ": spacing in '" + text + "'");
        assertEquals(text.toLowerCase(java.util.Locale.ROOT), text, item.id());
    }

    @Test
    void questionsAndFactsEndWithTheirPunctuationToken() {
        for (TaskItem item : new TaskGenerator(4).generate(Split.TRAIN, 500)) {
            assertTrue(item.question().endsWith(" ?"), item.question());
            for (String fact : item.facts()) {
                assertTrue(fact.endsWith(" .") && fact.indexOf('.') == fact.length() - 1, fact);
            }
            assertEquals(String.join(" ", item.facts()), item.goldDescription());
        }
    }

    @Test
    void vocabularyIsFixedAndDuplicateFree() {
        List<String> words = TaskVocabulary.words();
        assertEquals(words.size(), new HashSet<>(words).size());
        assertEquals(List.of(".", ",", "?", ":", "0", "1"), words.subList(0, 6));
        assertTrue(words.contains("o'clock"));
        for (String word : "the image shows a scene with shapes a chart a clock grid there are some".split(" ")) {
            assertTrue(TaskVocabulary.contains(word), word);
        }
        for (String word : words) {
            assertEquals(word.trim(), word);
            assertTrue(!word.isEmpty() && !word.contains(" "), word);
        }
        assertEquals(words, TaskVocabulary.words());
    }
}
