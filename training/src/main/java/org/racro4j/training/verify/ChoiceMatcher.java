package org.racro4j.training.verify;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps an answer text to the index of a choice: by letter ({@code B}, {@code (B)}, {@code B)}, {@code B.},
 * {@code (B) blue}, lower case too) or by the choice's text after normalisation (numbers by value).
 */
final class ChoiceMatcher {

    private static final Pattern LETTER_ONLY = Pattern.compile("\\(?([A-Za-z])\\)?[.:]?");
    private static final Pattern LETTER_THEN_TEXT = Pattern.compile("(?:\\(([A-Za-z])\\)|([A-Za-z])[).:])\\s+.+");

    private ChoiceMatcher() {
    }

    static OptionalInt resolve(String text, List<String> choices) {
        String raw = text.trim();
        Matcher letterOnly = LETTER_ONLY.matcher(raw);
        if (letterOnly.matches()) {
            return letterIndex(letterOnly.group(1), choices);
        }
        Matcher letterThenText = LETTER_THEN_TEXT.matcher(raw);
        if (letterThenText.matches()) {
            String letter = letterThenText.group(1) != null ? letterThenText.group(1) : letterThenText.group(2);
            OptionalInt index = letterIndex(letter, choices);
            if (index.isPresent()) {
                return index;
            }
        }
        String normalized = AnswerNormalizer.normalize(raw);
        OptionalDouble value = NumberParser.parse(normalized);
        for (int i = 0; i < choices.size(); i++) {
            String choice = AnswerNormalizer.normalize(choices.get(i));
            if (choice.equals(normalized)) {
                return OptionalInt.of(i);
            }
            OptionalDouble choiceValue = NumberParser.parse(choice);
            if (value.isPresent() && choiceValue.isPresent()
                    && Tolerance.DEFAULT.equal(value.getAsDouble(), choiceValue.getAsDouble())) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
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
