package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every word the built-in tasks can ever emit (questions, answers, facts) plus a few generic words a
 * captioner would use, so a whitespace word-level tokenizer built from this list never meets an unknown
 * word in task text. Order is fixed: the punctuation tokens, the numbers 0–20, then the words in
 * alphabetical order.
 */
public final class TaskVocabulary {

    /** Punctuation is a token of its own, always separated by spaces. ":" is for "answer : 7". */
    public static final List<String> PUNCTUATION = List.of(".", ",", "?", ":");
    /** Numbers are whole words; 18 (9 + 9) is the largest answer, 20 leaves headroom for captions. */
    public static final int MAX_NUMBER = 20;

    private static final List<String> TEMPLATE_WORDS = List.of(
            // questions
            "how", "many", "shapes", "are", "there", "more", "than", "what", "color", "is", "the", "shape",
            "object", "left", "right", "of", "above", "below", "and", "in", "total", "value", "bar", "which",
            "tallest", "shortest", "sum", "hour", "hours", "does", "clock", "show", "will", "it", "be",
            "steps", "from", "to", "cell", "around", "walls", "knight", "moves", "where", "arrow", "point", "after",
            "quarter", "turn", "turns", "clockwise",
            // facts
            "at", "top", "middle", "bottom", "center", "shows", "o'clock", "row", "column", "a", "wall", "points",
            // answers
            "yes", "no", "up", "down");

    /** Generic words for captions such as "the image shows a clock ." and the answer line "answer : 7". */
    private static final List<String> CAPTION_WORDS = List.of(
            "image", "scene", "with", "chart", "grid", "some", "objects", "bars", "cells", "hand", "answer");

    private static final List<String> WORDS = build();
    private static final Set<String> WORD_SET = Collections.unmodifiableSet(new HashSet<>(WORDS));

    private TaskVocabulary() {
    }

    public static List<String> words() {
        return WORDS;
    }

    public static boolean contains(String word) {
        return WORD_SET.contains(word);
    }

    /** The words of a space-separated text that are not in the vocabulary, in order of appearance. */
    public static List<String> unknownWords(String text) {
        List<String> unknown = new ArrayList<>();
        for (String word : text.split(" ")) {
            if (!WORD_SET.contains(word)) {
                unknown.add(word);
            }
        }
        return unknown;
    }

    private static List<String> build() {
        List<String> words = new ArrayList<>(PUNCTUATION);
        for (int n = 0; n <= MAX_NUMBER; n++) {
            words.add(Integer.toString(n));
        }
        TreeSet<String> sorted = new TreeSet<>(TEMPLATE_WORDS);
        sorted.addAll(CAPTION_WORDS);
        for (TaskColor color : TaskColor.values()) {
            sorted.add(color.word());
        }
        for (ShapeKind shape : ShapeKind.values()) {
            sorted.add(shape.word());
            sorted.add(shape.plural());
        }
        words.addAll(sorted);
        return List.copyOf(words);
    }
}
