package org.racro4j.training.verify;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.racro4j.training.tasks.AnswerType;

/**
 * Finds the answer in a model's response. Tried in this order, the first that finds something wins:
 * <ol>
 *   <li>the last {@code \boxed{...}} with non-blank contents (nested braces allowed);</li>
 *   <li>the last answer marker with something after it: {@code Answer: X}, {@code answer : x} (the
 *       tokenised style), {@code final answer is X}; the answer runs to the end of its line or sentence
 *       ({@code "answer : 12 ."} gives {@code 12}, {@code "answer: 3.5."} gives {@code 3.5});</li>
 *   <li>with choices: the last choice letter {@code (B)}, {@code B)} or {@code B.} that names a choice;</li>
 *   <li>yes/no questions: a yes/no word (or synonym) opening the response;</li>
 *   <li>number questions: the last number in the response, read as plain text (never an exponent or a
 *       subscript, so "9 cm^2" gives 9; none when the last number is a factor or a base, as in
 *       {@code 2\pi} or {@code 3^2}; see {@link NumberParser#lastWritten});</li>
 *   <li>a response of at most three words is taken whole.</li>
 * </ol>
 */
public final class AnswerExtractor {

    private static final Pattern MARKER = Pattern.compile("(?i)\\banswer\\s*(?::|is\\b\\s*:?)");
    private static final Pattern CHOICE_LETTER = Pattern.compile("\\(([A-Za-z])\\)|\\b([A-Z])\\)|\\b([A-Z])\\.(?=\\s|$)");
    private static final int MAX_WHOLE_RESPONSE_WORDS = 3;

    private AnswerExtractor() {
    }

    public static Optional<Extraction> extract(String response, AnswerType type, List<String> choices) {
        List<String> boxed = Boxed.all(response);
        for (int i = boxed.size() - 1; i >= 0; i--) {
            if (!boxed.get(i).isBlank()) {
                return Optional.of(new Extraction(boxed.get(i).trim(), Extraction.Method.BOXED));
            }
        }
        Optional<String> marked = lastMarkedAnswer(response);
        if (marked.isPresent()) {
            return Optional.of(new Extraction(marked.get(), Extraction.Method.ANSWER_MARKER));
        }
        if (!choices.isEmpty()) {
            Optional<String> letter = lastChoiceLetter(response, choices);
            if (letter.isPresent()) {
                return Optional.of(new Extraction(letter.get(), Extraction.Method.CHOICE_LETTER));
            }
        }
        String trimmed = response.trim();
        if (type == AnswerType.YES_NO) {
            Optional<String> yesNo = AnswerNormalizer.yesNo(AnswerNormalizer.normalize(trimmed));
            if (yesNo.isPresent()) {
                return Optional.of(new Extraction(trimmed.split("[\\s,.;:!]+", 2)[0], Extraction.Method.LEADING_YES_NO));
            }
        }
        if (type == AnswerType.NUMBER) {
            Optional<String> number = NumberParser.lastWritten(response);
            if (number.isPresent()) {
                return Optional.of(new Extraction(number.get(), Extraction.Method.LAST_NUMBER));
            }
        }
        if (!trimmed.isEmpty() && trimmed.split("\\s+").length <= MAX_WHOLE_RESPONSE_WORDS) {
            return Optional.of(new Extraction(trimmed, Extraction.Method.WHOLE_RESPONSE));
        }
        return Optional.empty();
    }

    /** The text after the last answer marker that has any, cut at the end of its line or sentence. */
    static Optional<String> lastMarkedAnswer(String response) {
        Matcher matcher = MARKER.matcher(response);
        String found = null;
        while (matcher.find()) {
            String answer = cutAtSentenceEnd(response.substring(matcher.end()));
            if (!answer.isEmpty()) {
                found = answer;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * The text up to the first line break, or the first ".", "," or ";" followed by a space or the end. A
     * "." between digits is a decimal point and a "," between digits a thousands separator; neither ends.
     */
    static String cutAtSentenceEnd(String text) {
        int end = text.length();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                end = i;
                break;
            }
            boolean followedBySpaceOrEnd = i + 1 == text.length() || Character.isWhitespace(text.charAt(i + 1));
            if ((c == '.' || c == ',' || c == ';') && followedBySpaceOrEnd) {
                end = i;
                break;
            }
        }
        return text.substring(0, end).trim();
    }

    private static Optional<String> lastChoiceLetter(String response, List<String> choices) {
        Matcher matcher = CHOICE_LETTER.matcher(response);
        String found = null;
        while (matcher.find()) {
            String letter = matcher.group(1) != null ? matcher.group(1)
                    : matcher.group(2) != null ? matcher.group(2) : matcher.group(3);
            if (ChoiceMatcher.letterIndex(letter, choices).isPresent()) {
                found = letter.toUpperCase(java.util.Locale.ROOT);
            }
        }
        return Optional.ofNullable(found);
    }
}
