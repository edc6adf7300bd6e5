package org.racro4j.training.verify;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Puts answer texts in a canonical form before comparing: LaTeX made plain ({@link LatexText}), lower case,
 * surrounding punctuation, quotes and spaces trimmed, inner spaces collapsed, a leading article dropped,
 * and the number words zero–twenty turned into digits.
 */
final class AnswerNormalizer {

    private static final String[] NUMBER_WORDS = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen", "twenty"};
    private static final Map<String, String> YES_NO = Map.ofEntries(
            Map.entry("yes", "yes"), Map.entry("true", "yes"), Map.entry("correct", "yes"),
            Map.entry("yeah", "yes"), Map.entry("yep", "yes"), Map.entry("y", "yes"),
            Map.entry("no", "no"), Map.entry("false", "no"), Map.entry("incorrect", "no"),
            Map.entry("nope", "no"), Map.entry("n", "no"));
    /** Braces are not trimmed: they are LaTeX structure ("\\frac{3}{4}" must keep its last "}"). */
    private static final String EDGE_PUNCTUATION = " \t\r\n.,;:!?\"'`()[]*";

    private AnswerNormalizer() {
    }

    static String normalize(String text) {
        String s = LatexText.toPlain(text).toLowerCase(Locale.ROOT);
        s = trimEdges(s).replaceAll("\\s+", " ");
        for (String article : new String[] {"the ", "a ", "an "}) {
            if (s.startsWith(article) && s.length() > article.length()) {
                s = s.substring(article.length());
                break;
            }
        }
        return numberWordsToDigits(s);
    }

    /** "yes" or "no" when the normalised text starts with a yes/no word or synonym (true, false, …). */
    static Optional<String> yesNo(String normalized) {
        String first = normalized.split("[\\s,.;:!]+", 2)[0];
        return Optional.ofNullable(YES_NO.get(first));
    }

    private static String numberWordsToDigits(String s) {
        String[] words = s.split(" ");
        for (int i = 0; i < words.length; i++) {
            for (int n = 0; n < NUMBER_WORDS.length; n++) {
                if (words[i].equals(NUMBER_WORDS[n])) {
                    words[i] = Integer.toString(n);
                }
            }
        }
        return String.join(" ", words);
    }

    private static String trimEdges(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && EDGE_PUNCTUATION.indexOf(s.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && EDGE_PUNCTUATION.indexOf(s.charAt(end - 1)) >= 0) {
            end--;
        }
        // a leading "." belongs to a number such as ".5"
        if (start > 0 && s.charAt(start - 1) == '.' && start < end && Character.isDigit(s.charAt(start))) {
            start--;
        }
        // likewise a leading minus is never trimmed (it is not in the set), nor a trailing "%"
        return s.substring(start, end);
    }
}
