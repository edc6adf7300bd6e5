package org.racro4j.training.tasks;

/**
 * Builds task texts from words: always lower-case words separated by single spaces, so a whitespace
 * word-level tokenizer splits them exactly (e.g. {@code how many red shapes are there ?}).
 */
final class Sentences {

    private Sentences() {
    }

    /** A fact sentence: the words followed by " ." */
    static String fact(Object... words) {
        return join(words) + " .";
    }

    /** A question: the words followed by " ?" */
    static String question(Object... words) {
        return join(words) + " ?";
    }

    static String join(Object... words) {
        StringBuilder text = new StringBuilder();
        for (Object word : words) {
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(word);
        }
        return text.toString();
    }
}
