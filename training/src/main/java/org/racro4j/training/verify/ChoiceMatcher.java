package org.racro4j.training.verify;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps an answer text to the index of a choice: by letter ({@code B}, {@code (B)}, {@code B)}, {@code B.},
 * {@code (B) blue}, {@code \text{B}}, lower case too) when the letter names a choice, else by the choice's
 * text after normalisation (exact text first, over all choices, then numbers by value with their units,
 * as {@link NumericAnswer} reads them; a percentage is its number here, "50%" is the choice 50, not 0.5).
 */
final class ChoiceMatcher {

    private static final Pattern LETTER_ONLY = Pattern.compile("\\(?([A-Za-z])\\)?[.:]?");
    private static final Pattern UPPER_LETTER_ONLY = Pattern.compile("\\(?([A-Z])\\)?[.:]?|\\(([a-z])\\)");
    private static final Pattern LETTER_THEN_TEXT = Pattern.compile("(?:\\(([A-Za-z])\\)|([A-Za-z])[).:])\\s+.+");

    private ChoiceMatcher() {
    }

    static OptionalInt resolve(String text, List<String> choices) {
        Optional<String> letter = anyLetter(LatexText.toPlain(text));
        if (letter.isPresent()) {
            OptionalInt index = letterIndex(letter.get(), choices);
            if (index.isPresent()) {
                return index;
            }
        }
        String normalized = AnswerNormalizer.normalize(text);
        for (int i = 0; i < choices.size(); i++) {
            if (AnswerNormalizer.normalize(choices.get(i)).equals(normalized)) {
                return OptionalInt.of(i);
            }
        }
        Optional<NumericAnswer> value = NumericAnswer.read(normalized);
        for (int i = 0; i < choices.size() && value.isPresent(); i++) {
            Optional<NumericAnswer> choiceValue = NumericAnswer.read(AnswerNormalizer.normalize(choices.get(i)));
            // by the numbers as written: among choices such as 0.5, 5 and 50, "50%" is 50, and "1000%" is not 10
            if (choiceValue.isPresent() && Tolerance.DEFAULT.equal(value.get().value(), choiceValue.get().value())) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    /**
     * The letter when the text is written as a choice letter: an upper-case letter alone or followed by
     * the choice's text ({@code B}, {@code B.}, {@code B. 12}, {@code B) 12}), or any letter in
     * parentheses ({@code (b)}, {@code (B) 12}); LaTeX is made plain first ({@code \text{B}}). A lone
     * lower-case letter such as "x" is not taken for one.
     */
    static Optional<String> writtenLetter(String text) {
        String plain = LatexText.toPlain(text);
        Matcher letterOnly = UPPER_LETTER_ONLY.matcher(plain);
        if (letterOnly.matches()) {
            String letter = letterOnly.group(1) != null ? letterOnly.group(1) : letterOnly.group(2);
            return Optional.of(letter.toUpperCase(Locale.ROOT));
        }
        Matcher letterThenText = LETTER_THEN_TEXT.matcher(plain);
        if (letterThenText.matches()) {
            String letter = letterThenText.group(1) != null ? letterThenText.group(1) : letterThenText.group(2);
            if (letterThenText.group(1) != null || Character.isUpperCase(letter.charAt(0))) {
                return Optional.of(letter.toUpperCase(Locale.ROOT));
            }
        }
        return Optional.empty();
    }

    /** The letter of {@code B}, {@code (b)}, {@code b)}, {@code B.}, {@code (B) blue}, any case, or empty. */
    private static Optional<String> anyLetter(String plain) {
        Matcher letterOnly = LETTER_ONLY.matcher(plain);
        if (letterOnly.matches()) {
            return Optional.of(letterOnly.group(1));
        }
        Matcher letterThenText = LETTER_THEN_TEXT.matcher(plain);
        if (letterThenText.matches()) {
            return Optional.of(letterThenText.group(1) != null ? letterThenText.group(1) : letterThenText.group(2));
        }
        return Optional.empty();
    }

    /** The index of letter A, B, … when it names one of the choices. */
    static OptionalInt letterIndex(String letter, List<String> choices) {
        int index = Character.toUpperCase(letter.charAt(0)) - 'A';
        return index >= 0 && index < choices.size() ? OptionalInt.of(index) : OptionalInt.empty();
    }

    static String letter(int index) {
        return String.valueOf((char) ('A' + index));
    }
}
