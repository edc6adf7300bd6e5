package org.racro4j.training.verify;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a response follows the required answer format, for format rewards. A response follows it when
 * it gives its answer in the required form exactly once, with something in it: one non-empty
 * {@code \boxed{...}} with balanced braces, or one {@code answer : x} line. Giving several boxed answers or
 * several answer lines fails, so a policy cannot collect the format reward by hedging over candidates.
 * ("the answer is x" is accepted by the extractor but is not the format.)
 */
public final class FormatCheck {

    /** The result, with the counts that decided it. */
    public record Result(boolean follows, int boxedAnswers, int answerLines, String reason) {
    }

    private static final Pattern ANSWER_LINE = Pattern.compile("(?i)\\banswer\\s*:");

    private FormatCheck() {
    }

    public static boolean follows(String response, AnswerFormat format) {
        return check(response, format).follows();
    }

    public static Result check(String response, AnswerFormat format) {
        int boxed = countNonBlank(Boxed.all(response));
        int lines = countAnswerLines(response);
        return switch (format) {
            case BOXED -> new Result(boxed == 1, boxed, lines, describe("boxed answers", boxed));
            case ANSWER_LINE -> new Result(lines == 1, boxed, lines, describe("answer lines", lines));
            case EITHER -> {
                boolean follows = boxed <= 1 && lines <= 1 && boxed + lines >= 1;
                yield new Result(follows, boxed, lines, follows ? "ok"
                        : boxed + lines == 0 ? "no boxed answer or answer line" : "more than one boxed answer or answer line");
            }
        };
    }

    private static String describe(String what, int count) {
        return count == 1 ? "ok" : count == 0 ? "no " + what : count + " " + what + ", expected one";
    }

    private static int countNonBlank(List<String> contents) {
        int count = 0;
        for (String content : contents) {
            if (!content.isBlank()) {
                count++;
            }
        }
        return count;
    }

    /** "answer :" markers followed by some answer text on the same line and sentence. */
    private static int countAnswerLines(String response) {
        Matcher matcher = ANSWER_LINE.matcher(response);
        int count = 0;
        while (matcher.find()) {
            if (!AnswerExtractor.cutAtSentenceEnd(response.substring(matcher.end())).isEmpty()) {
                count++;
            }
        }
        return count;
    }
}
