package org.racro4j.training.text;

/**
 * A response that gives its evidence before its answer, as the Thinker and the Describer write them:
 * {@code "{evidence} answer : {answer}"}, e.g. "the green cell is at row 1 column 2 . the red cell is at row 3 column 2 .
 * answer : 2". The answer is what follows the last answer marker; the evidence is what precedes the first one. A
 * response without a marker has evidence and no answer.
 *
 * @param evidence what the response states before answering, words separated by single spaces
 * @param answer   the words after the last marker, single-spaced; "" when there is no marker
 * @param markers  how many answer markers the response has (a well-formed one has exactly one)
 */
public record Explained(String evidence, String answer, int markers) {
    /** The answer marker, as its two word-level tokens. */
    public static final String MARKER = "answer :";

    public static Explained parse(String response) {
        String[] words = response.strip().split("\\s+");
        int first = -1;
        int last = -1;
        int markers = 0;
        for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals("answer") && words[i + 1].equals(":")) {
                if (first < 0) first = i;
                last = i;
                markers++;
            }
        }
        if (markers == 0) return new Explained(join(words, 0, words.length), "", 0);
        return new Explained(join(words, 0, first), join(words, last + 2, words.length), markers);
    }

    /** The target a warm start teaches: the evidence, then the answer line. */
    public static String of(String evidence, String answer) {
        String e = evidence.strip();
        return (e.isEmpty() ? "" : e + " ") + MARKER + " " + answer.strip();
    }

    private static String join(String[] words, int from, int to) {
        return from >= to ? "" : String.join(" ", java.util.Arrays.copyOfRange(words, from, to));
    }
}
