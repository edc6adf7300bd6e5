package org.racro4j.training.verify;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.TaskItem;

/**
 * Decides whether a response answers a task correctly: the answer is extracted ({@link AnswerExtractor})
 * and compared with the reference by type. Numbers compare by value within a {@link Tolerance} (so "7",
 * "7.0", "seven" and "\boxed{7}" are all 7); words compare exactly after normalisation (lower case, edge
 * punctuation, a leading article and LaTeX text wrappers removed); yes/no compare by the leading yes/no
 * word, with synonyms such as true/false. With choices, an answer given by letter or by the choice's text
 * resolves to a choice index and indices compare; a choice letter that names no choice is wrong. Answers
 * written in LaTeX are made plain first ({@link LatexText}), and a number is read with its unit, percent
 * sign or {@code x =} prefix as {@link NumericAnswer} describes.
 */
public final class AnswerVerifier {

    private AnswerVerifier() {
    }

    public static Verdict verify(String response, TaskItem item) {
        return verify(response, item.answer(), item.answerType(), item.choices(), Tolerance.DEFAULT);
    }

    public static Verdict verify(String response, String answer, AnswerType type, List<String> choices) {
        return verify(response, answer, type, choices, Tolerance.DEFAULT);
    }

    public static Verdict verify(String response, String answer, AnswerType type, List<String> choices,
                                 Tolerance tolerance) {
        Optional<Extraction> extraction = AnswerExtractor.extract(response, type, choices);
        if (extraction.isEmpty()) {
            return new Verdict(false, "", "no answer found");
        }
        String extracted = extraction.get().text();
        String method = extraction.get().method().name().toLowerCase(java.util.Locale.ROOT);
        String mismatch = compare(extracted, answer, type, choices, tolerance);
        return mismatch == null
                ? new Verdict(true, extracted, method + ": matches " + answer)
                : new Verdict(false, extracted, method + ": " + mismatch);
    }

    /** Whether an already extracted answer equals the reference answer, by the rules above. */
    public static boolean equivalent(String extracted, String answer, AnswerType type, List<String> choices,
                                     Tolerance tolerance) {
        return compare(extracted, answer, type, choices, tolerance) == null;
    }

    /** Null when the answers match, else why not. */
    private static String compare(String extracted, String answer, AnswerType type, List<String> choices,
                                  Tolerance tolerance) {
        if (!choices.isEmpty()) {
            OptionalInt expected = ChoiceMatcher.resolve(answer, choices);
            if (expected.isPresent()) {
                OptionalInt given = ChoiceMatcher.resolve(extracted, choices);
                if (given.isPresent()) {
                    return given.getAsInt() == expected.getAsInt() ? null
                            : "chose " + ChoiceMatcher.letter(given.getAsInt()) + ", expected "
                              + ChoiceMatcher.letter(expected.getAsInt());
                }
                Optional<String> letter = ChoiceMatcher.writtenLetter(extracted);
                if (letter.isPresent() && type != AnswerType.YES_NO) { // "Y" and "N" answer yes/no questions
                    return "chose " + letter.get() + ", which names no choice";
                }
                // not recognisably a choice: compare with the right choice's text by type
                answer = choices.get(expected.getAsInt());
            }
        }
        return switch (type) {
            case NUMBER -> compareNumbers(extracted, answer, tolerance, !choices.isEmpty());
            case YES_NO -> compareYesNo(extracted, answer);
            case WORD -> compareWords(extracted, answer, tolerance);
        };
    }

    /**
     * With choices a percentage is its number, as in {@link ChoiceMatcher}: "1000%" is not the choice 10.
     * Without, "50%" may also meet 0.5 ({@link NumericAnswer#matches}).
     */
    private static String compareNumbers(String extracted, String answer, Tolerance tolerance, boolean amongChoices) {
        Optional<NumericAnswer> expected = readNumber(answer);
        if (expected.isEmpty()) {
            return compareWords(extracted, answer, tolerance); // a reference that is not a number after all
        }
        Optional<NumericAnswer> given = readNumber(extracted);
        if (given.isEmpty()) { // "3 + 4 = 7"
            OptionalDouble last = NumberParser.last(AnswerNormalizer.normalize(extracted));
            if (last.isPresent()) {
                given = Optional.of(new NumericAnswer(last.getAsDouble(), false));
            }
        }
        if (given.isEmpty()) {
            return "not a number: " + extracted;
        }
        boolean equal = amongChoices ? tolerance.equal(given.get().value(), expected.get().value())
                : given.get().matches(expected.get(), tolerance);
        return equal ? null
                : "expected " + answer + ", got " + formatNumber(given.get().value()) + (given.get().percent() ? "%" : "");
    }

    /** The text as one number, read after normalisation ("seven", "(7)") or else as written ("a = 7"). */
    private static Optional<NumericAnswer> readNumber(String text) {
        Optional<NumericAnswer> normalized = NumericAnswer.read(AnswerNormalizer.normalize(text));
        return normalized.isPresent() ? normalized : NumericAnswer.read(text);
    }

    private static String compareYesNo(String extracted, String answer) {
        Optional<String> expected = AnswerNormalizer.yesNo(AnswerNormalizer.normalize(answer));
        Optional<String> given = AnswerNormalizer.yesNo(AnswerNormalizer.normalize(extracted));
        if (expected.isEmpty()) {
            throw new IllegalArgumentException("reference answer of a yes/no question is not yes or no: " + answer);
        }
        if (given.isEmpty()) {
            return "not yes or no: " + extracted;
        }
        return given.get().equals(expected.get()) ? null : "expected " + expected.get() + ", got " + given.get();
    }

    private static String compareWords(String extracted, String answer, Tolerance tolerance) {
        String given = AnswerNormalizer.normalize(extracted);
        String expected = AnswerNormalizer.normalize(answer);
        if (given.equals(expected)) {
            return null;
        }
        OptionalDouble givenValue = NumberParser.parse(given);
        OptionalDouble expectedValue = NumberParser.parse(expected);
        if (givenValue.isPresent() && expectedValue.isPresent()
                && tolerance.equal(givenValue.getAsDouble(), expectedValue.getAsDouble())) {
            return null;
        }
        return "expected " + expected + ", got " + given;
    }

    private static String formatNumber(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}
