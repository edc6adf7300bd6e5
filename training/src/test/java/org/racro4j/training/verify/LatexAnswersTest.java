package org.racro4j.training.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.racro4j.training.tasks.AnswerType;

/**
 * Answers written in LaTeX, the way the papers' reasoners (Qwen2.5, R1-Distill) write them in {@code \boxed{}},
 * are graded by their value: units, degrees, fractions, percentages, thousands separators, math delimiters and a
 * {@code x =} prefix do not change it, and a unit's exponent is never taken for the answer. Each row of the table
 * says whether a response is right for a reference answer; the property test writes random numbers in several
 * spellings and checks that each reads back as the number it was written from.
 */
class LatexAnswersTest {

    private static final List<String> NONE = List.of();
    private static final List<String> NUMBERS = List.of("8", "10", "12", "14");
    private static final List<String> LENGTHS = List.of("8 cm", "10 cm", "12 cm", "14 cm");
    private static final List<String> FRACTIONS = List.of("$\\frac{1}{2}$", "$\\frac{3}{4}$", "1", "2");
    private static final List<String> COLOURS = List.of("red", "blue", "green", "yellow");

    /** One row: is {@code response} a right answer to a question whose reference answer is {@code reference}? */
    record Row(String response, String reference, AnswerType type, List<String> choices, boolean right) {
        @Override
        public String toString() {
            return (right ? "right: " : "wrong: ") + response + " for " + reference + (choices.isEmpty() ? "" : " of " + choices);
        }
    }

    private static Row right(String response, String reference) {
        return new Row(response, reference, AnswerType.NUMBER, NONE, true);
    }

    private static Row wrong(String response, String reference) {
        return new Row(response, reference, AnswerType.NUMBER, NONE, false);
    }

    private static Row choice(String response, String reference, AnswerType type, List<String> choices, boolean right) {
        return new Row(response, reference, type, choices, right);
    }

    static Stream<Row> table() {
        return Stream.of(
                // the known bug: the exponent of the unit was read as the answer
                right("The area is \\boxed{9\\text{ cm}^2}.", "9"),
                wrong("The area is \\boxed{9\\text{ cm}^2}.", "2"),
                right("\\boxed{9 cm^2}", "9"),
                wrong("\\boxed{9 cm^2}", "2"),
                right("\\boxed{9\\,\\mathrm{cm}^{2}}", "9"),
                wrong("\\boxed{9\\,\\mathrm{cm}^{2}}", "2"),
                right("The area is 9 cm^2.", "9"),                     // no box: the last number, not the exponent
                wrong("The area is 9 cm^2.", "2"),
                right("so the area is $9\\text{ cm}^{2}$", "9"),
                right("Answer: 12 m", "12"),
                right("\\boxed{12\\,\\text{m}}", "12"),
                wrong("\\boxed{12\\,\\text{m}}", "1"),
                right("\\boxed{5\\ \\mathrm{m/s^2}}", "5"),
                wrong("\\boxed{5\\ \\mathrm{m/s^2}}", "2"),
                right("\\boxed{\\textbf{7} apples}", "7"),
                right("\\boxed{3 \\text{ square units}}", "3"),
                right("\\boxed{7 o'clock}", "7"),
                // degrees
                right("\\boxed{45^\\circ}", "45"),
                right("\\boxed{45^{\\circ}}", "45"),
                right("\\boxed{45°}", "45"),
                right("\\boxed{30\\degree}", "30"),
                wrong("\\boxed{45^\\circ}", "90"),
                // fractions
                right("\\boxed{\\frac{3}{4}}", "0.75"),
                wrong("\\boxed{\\frac{3}{4}}", "0.7"),
                right("\\boxed{\\dfrac{3}{4}}", "0.75"),
                right("\\boxed{\\tfrac{5}{8}}", "0.625"),
                right("\\boxed{\\frac12}", "0.5"),
                wrong("\\boxed{\\frac12}", "12"),
                wrong("\\boxed{\\frac12}", "1"),
                right("\\boxed{\\dfrac34}", "0.75"),
                right("\\boxed{\\frac{12}5}", "2.4"),
                right("\\boxed{3/4}", "0.75"),
                right("\\boxed{-\\frac{3}{4}}", "-0.75"),
                wrong("\\boxed{-\\frac{3}{4}}", "0.75"),
                right("\\boxed{\\frac{-3}{4}}", "-0.75"),
                right("\\boxed{-\\dfrac{7}{3}}", "-2.3333"),
                right("\\boxed{2\\frac{1}{2}}", "2.5"),                 // a mixed number
                wrong("\\boxed{2\\frac{1}{2}}", "10.5"),
                wrong("\\boxed{2\\frac{1}{2}}", "0.5"),
                right("\\boxed{-1\\tfrac{3}{4}}", "-1.75"),
                right("\\boxed{2 1/2}", "2.5"),
                right("\\boxed{0.75}", "3/4"),
                right("\\boxed{0.75}", "\\frac{3}{4}"),
                // percentages: "50%" meets a reference of 50 (MathVista) or 0.5 (a fraction); without % they differ
                right("\\boxed{50\\%}", "50"),
                right("\\boxed{50\\%}", "0.5"),
                wrong("\\boxed{50\\%}", "5"),
                right("\\boxed{50%}", "50"),
                right("\\boxed{50 percent}", "0.5"),
                right("\\boxed{0.5}", "50%"),
                right("\\boxed{50}", "50%"),
                wrong("\\boxed{0.5}", "50"),
                wrong("\\boxed{50}", "0.5"),
                // thousands separators
                right("\\boxed{1,000}", "1000"),
                right("\\boxed{1{,}000}", "1000"),
                right("\\boxed{1\\,000}", "1000"),
                right("\\boxed{12{,}345.5}", "12345.5"),
                wrong("\\boxed{1,000}", "1"),
                wrong("\\boxed{1{,}000}", "1"),
                // math delimiters, sizing, approximations, one "name ="
                right("$\\boxed{12}$", "12"),
                right("\\boxed{$12$}", "12"),
                right("\\[ \\boxed{7} \\]", "7"),
                right("The answer is \\(12\\). We are done.", "12"),
                right("Answer: $\\frac{3}{4}$", "0.75"),
                right("\\boxed{\\left( \\frac{3}{4} \\right)}", "0.75"),
                right("\\boxed{\\left(-2\\right)}", "-2"),
                right("\\boxed{\\approx 3.14}", "3.14"),
                wrong("\\boxed{\\approx 3.14}", "3"),
                right("\\boxed{x \\approx 3.14}", "3.14"),
                right("\\boxed{x = 7}", "7"),
                wrong("\\boxed{x = 7}", "1"),
                right("\\boxed{x_1 = 2}", "2"),
                wrong("\\boxed{x_1 = 2}", "1"),
                right("\\boxed{AB = 5\\text{ cm}}", "5"),
                right("\\boxed{\\theta = 30^\\circ}", "30"),
                right("\\boxed{3 + 4 = 7}", "7"),
                right("\\boxed{\\$5}", "5"),
                right("\\boxed{3 \\times 10^{8}\\text{ m/s}}", "300000000"),
                wrong("\\boxed{3 \\times 10^{8}\\text{ m/s}}", "10"),
                right("\\boxed{2.5 \\times 10^{-3}}", "0.0025"),
                // a constant after the number multiplies, it is no unit
                wrong("\\boxed{2π}", "2"),
                wrong("\\boxed{2\\pi}", "2"),
                // multiple choice by letter, in LaTeX or with the choice's text
                choice("\\boxed{C}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{C}", "10", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{(C)}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{\\text{C}}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{\\text{C}}", "14", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{\\textbf{(C)}}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{\\mathrm{C}}", "C", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{C. 12}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{C) 12}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{\\text{C. } 12}", "12", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{B. 12}", "12", AnswerType.NUMBER, NUMBERS, false),   // the letter decides
                choice("\\boxed{12}", "C", AnswerType.NUMBER, NUMBERS, true),
                choice("\\boxed{12\\text{ cm}}", "12 cm", AnswerType.NUMBER, LENGTHS, true),
                choice("\\boxed{12}", "12 cm", AnswerType.NUMBER, LENGTHS, true),
                choice("\\boxed{12\\text{ cm}}", "D", AnswerType.NUMBER, LENGTHS, false),
                choice("\\boxed{10}", "12 cm", AnswerType.NUMBER, LENGTHS, false),
                choice("\\boxed{0.75}", "B", AnswerType.NUMBER, FRACTIONS, true),
                choice("\\boxed{\\dfrac34}", "B", AnswerType.NUMBER, FRACTIONS, true),
                choice("\\boxed{\\frac12}", "B", AnswerType.NUMBER, FRACTIONS, false),
                // with choices a percentage is its number: 50% is the choice 50, and 1000% is not the choice 10
                choice("\\boxed{50\\%}", "C", AnswerType.NUMBER, List.of("0.5", "5", "50", "500"), true),
                choice("\\boxed{1000\\%}", "10", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{\\text{blue}}", "B", AnswerType.WORD, COLOURS, true),
                choice("\\boxed{\\text{(B) blue}}", "blue", AnswerType.WORD, COLOURS, true),
                choice("\\boxed{\\text{green}}", "B", AnswerType.WORD, COLOURS, false),
                // a letter that names no choice is wrong, whatever else the answer holds
                choice("\\boxed{E}", "12", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{(E)}", "12", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{\\text{E}}", "12", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{E. 12}", "12", AnswerType.NUMBER, NUMBERS, false),
                choice("\\boxed{E. blue}", "blue", AnswerType.WORD, COLOURS, false),
                // yes/no questions given as two choices still take yes/no words
                choice("\\boxed{\\text{Yes}}", "Yes", AnswerType.YES_NO, List.of("Yes", "No"), true),
                choice("\\boxed{B}", "Yes", AnswerType.YES_NO, List.of("Yes", "No"), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void theTableIsGradedAsWritten(Row row) {
        Verdict verdict = AnswerVerifier.verify(row.response(), row.reference(), row.type(), row.choices());
        assertEquals(row.right(), verdict.correct(), row + " -> " + verdict);
    }

    @Test
    void aLetterNamingNoChoiceSaysSo() {
        Verdict verdict = AnswerVerifier.verify("\\boxed{E. 12}", "12", AnswerType.NUMBER, NUMBERS);
        assertEquals("boxed: chose E, which names no choice", verdict.reason());
    }

    @Test
    void theUnitIsDroppedAndItsExponentNeverRead() {
        assertEquals(Optional.of(new NumericAnswer(9, false)), NumericAnswer.read("9\\text{ cm}^2"));
        assertEquals(Optional.of(new NumericAnswer(50, true)), NumericAnswer.read("50\\%"));
        assertEquals(Optional.of(new NumericAnswer(-0.75, false)), NumericAnswer.read("-\\frac{3}{4}\\text{ m}"));
        assertEquals(Optional.empty(), NumericAnswer.read("3 or 4"));
        assertEquals(Optional.empty(), NumericAnswer.read("x = 3, y = 4"));
        assertEquals("9", NumberParser.lastWritten("so it is 9\\text{ cm}^2").orElseThrow());
        assertEquals("5", NumberParser.lastWritten("10^{-3} and 10^-4 are below 5").orElseThrow());
        // the last number is a base or a factor: no number is written on its own
        assertEquals(Optional.empty(), NumberParser.lastWritten("about 10^{-3}"));
        assertEquals(Optional.empty(), NumberParser.lastWritten("so it is 2\\pi"));
        assertEquals(Optional.empty(), NumberParser.lastWritten("so it is 3 \\times 10^8"));
        assertEquals("3", NumberParser.lastWritten("x_{12} is 3").orElseThrow());
        // in running text a mixed number's parts stay apart (its fraction is the last number, never 21/2)
        assertEquals("1/2", NumberParser.lastWritten("it takes 2\\frac{1}{2} hours").orElseThrow());
    }

    @Test
    void latexIsMadePlain() {
        assertEquals("9 cm^2", LatexText.toPlain("$9\\text{ cm}^2$"));
        assertEquals("\\frac{1}{2} + \\frac{12}{5}", LatexText.toPlain("\\(\\dfrac12 + \\tfrac{12}5\\)"));
        assertEquals("45° and 30°", LatexText.toPlain("45^{\\circ} and 30^\\circ"));
        assertEquals("1,000 ≈ 50%", LatexText.toPlain("1{,}000 \\approx 50\\%"));
        assertEquals("(red)", LatexText.toPlain("\\left(\\text{\\textbf{red}}\\right)"));
    }

    /** A pathological long line is read in well under a second (the unit pattern must not backtrack badly). */
    @Test
    void longTextsAreReadQuickly() {
        String text = "9 " + "ab ".repeat(3000) + "1";
        long start = System.nanoTime();
        assertTrue(NumericAnswer.read(text).isEmpty());
        assertTrue(NumericAnswer.read("9 " + "a/".repeat(3000)).isEmpty());
        assertTrue((System.nanoTime() - start) / 1e9 < 1, "took " + (System.nanoTime() - start) / 1e9 + " s");
    }

    // ---- property: random numbers in random LaTeX spellings read back as themselves ----

    private static final long SEED = 20261206L;
    private static final int CASES = 4000;
    private static final int[] AWKWARD_DENOMINATORS = {3, 6, 7, 9, 11, 12, 13, 17, 24, 97, 125, 360, 1009};
    private static final String[] UNITS = {"", "\\text{ cm}^2", " cm^2", "\\,\\text{m}", "^\\circ", "^{\\circ}", "°",
        "\\mathrm{kg}", " m/s^{2}", "\\text{ square units}", "\\%", " km^3", "\\ \\mathrm{cm}^{-1}"};

    /** A number written one way, and its value worked out by the test itself. */
    record Written(String latex, BigDecimal value) {
    }

    /**
     * Integers (with and without thousands separators), decimals with one to four places, and fractions with awkward
     * denominators, each possibly negative, rendered in one of the spellings a model might use, followed by a random
     * unit, inside {@code \boxed{}} after reasoning that contains other numbers. Each must (a) read back as its own
     * value, (b) be graded right against its value written as a plain decimal, and (c) be graded wrong against that
     * value plus 1 % of its size plus one.
     */
    @Test
    void randomNumbersInRandomSpellingsReadBackAsThemselves() {
        Random random = new Random(SEED);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            Written number = switch (random.nextInt(3)) {
                case 0 -> integer(random);
                case 1 -> decimal(random);
                default -> fraction(random);
            };
            String unit = UNITS[random.nextInt(UNITS.length)];
            String answer = wrap(number.latex() + unit, random);
            String response = "The sides are 17 and 3, so x^2 = 9 and the value is \\boxed{" + answer + "}.";
            double expected = number.value().doubleValue();
            String reference = number.value().round(MathContext.DECIMAL64).toPlainString();
            // 1 % + 1 above: far enough off to fail the default tolerance (0.1 % relative) at any size
            String otherReference = number.value().add(number.value().abs().multiply(new BigDecimal("0.01"))).add(BigDecimal.ONE)
                    .toPlainString();

            Optional<NumericAnswer> read = NumericAnswer.read(answer);
            if (read.isEmpty() || Math.abs(read.get().value() - expected) > 1e-9 * Math.max(1, Math.abs(expected))) {
                failures.add(answer + " read as " + read + ", expected " + expected);
            }
            Verdict rightOne = AnswerVerifier.verify(response, reference, AnswerType.NUMBER, NONE);
            if (!rightOne.correct()) {
                failures.add(response + " vs " + reference + ": " + rightOne.reason());
            }
            Verdict wrongOne = AnswerVerifier.verify(response, otherReference, AnswerType.NUMBER, NONE);
            if (wrongOne.correct()) {
                failures.add(response + " vs " + otherReference + " was graded right");
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + CASES + " failed (seed " + SEED + "), e.g.\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private static Written integer(Random random) {
        long n = random.nextInt(4) == 0 ? random.nextInt(10) : (long) (random.nextDouble() * Math.pow(10, 1 + random.nextInt(8)));
        boolean negative = random.nextBoolean();
        String digits = Long.toString(n);
        String written = switch (random.nextInt(4)) {
            case 0 -> String.format(Locale.ROOT, "%,d", n);                      // 1,234,567
            case 1 -> String.format(Locale.ROOT, "%,d", n).replace(",", "{,}");  // 1{,}234{,}567
            case 2 -> String.format(Locale.ROOT, "%,d", n).replace(",", "\\,");  // 1\,234\,567
            default -> digits;
        };
        return new Written((negative ? "-" : "") + written, BigDecimal.valueOf(negative ? -n : n));
    }

    private static Written decimal(Random random) {
        int scale = 1 + random.nextInt(4);
        BigDecimal value = new BigDecimal(BigInteger.valueOf(random.nextInt(2_000_000) - 1_000_000), scale);
        String plain = value.toPlainString();
        if (plain.startsWith("0.") && random.nextBoolean()) {
            plain = plain.substring(1);                                           // .25
        } else if (plain.startsWith("-0.") && random.nextBoolean()) {
            plain = "-" + plain.substring(2);                                     // -.25
        }
        return new Written(plain, value);
    }

    private static Written fraction(Random random) {
        int q = AWKWARD_DENOMINATORS[random.nextInt(AWKWARD_DENOMINATORS.length)];
        int p = 1 + random.nextInt(3 * q);
        boolean negative = random.nextBoolean();
        BigDecimal value = BigDecimal.valueOf(negative ? -p : p).divide(BigDecimal.valueOf(q), MathContext.DECIMAL128);
        String sign = negative ? "-" : "";
        String written = switch (random.nextInt(6)) {
            case 0 -> sign + "\\frac{" + p + "}{" + q + "}";
            case 1 -> sign + "\\dfrac{" + p + "}{" + q + "}";
            case 2 -> sign + "\\tfrac{" + p + "}{" + q + "}";
            case 3 -> "\\frac{" + sign + p + "}{" + q + "}";
            case 4 -> sign + p + "/" + q;
            default -> p < 10 && q < 10 ? sign + "\\frac" + p + q : sign + "\\frac{" + p + "}" + "{" + q + "}";
        };
        return new Written(written, value);
    }

    /** The answer as it may appear inside the box: bare, in math delimiters, parenthesised, or after "x =". */
    private static String wrap(String answer, Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> "$" + answer + "$";
            case 1 -> "\\(" + answer + "\\)";
            case 2 -> "x = " + answer;
            case 3 -> "\\approx " + answer;
            case 4 -> "\\left(" + answer + "\\right)";
            default -> answer;
        };
    }
}
