package org.racro4j.training.verify;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads numbers the way models write them: {@code 7}, {@code -3}, {@code −3} (Unicode minus),
 * {@code 2.5}, {@code .5}, {@code 1,000}, {@code 3/4}, {@code \frac{3}{4}} (also {@code \dfrac},
 * {@code \tfrac}, {@code \frac12}, nested), {@code $7$}, {@code 1{,}000}, {@code 50\%}: the text is first
 * made plain by {@link LatexText}. A trailing percent sign is dropped, not divided by 100, so "50%" reads
 * as 50; {@link NumericAnswer} decides what a percentage equals.
 */
final class NumberParser {

    private static final Pattern PLAIN = Pattern.compile("[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|[-+]?\\.\\d+");
    private static final Pattern SLASH = Pattern.compile("([-+]?\\d+(?:\\.\\d+)?)\\s*/\\s*([-+]?\\d+(?:\\.\\d+)?)");
    private static final Pattern SIMPLE_FRAC = Pattern.compile("\\\\[dt]?frac\\{([^{}]*)\\}\\{([^{}]*)\\}");
    /**
     * A number inside running text. The look-behinds keep "x2" and the "5" of "3.5" from being read as
     * numbers, and exponents and subscripts too: the 2 of "cm^2", "cm^{2}", "10^{-3}" or "x_{12}" is
     * never an answer. A minus sign only counts when no word or digit precedes it ("3-4" is 3 and 4).
     */
    private static final Pattern IN_TEXT = Pattern.compile(
            "(?<![\\w.^])(?<!\\^-)(?<![\\^_]\\{)(?<![\\^_]\\{-)"
            + "-?(?:\\d+/\\d+|(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+)");

    /** What makes the number before it a factor or a base rather than a value of its own. */
    private static final Pattern FACTOR_AFTER = Pattern.compile("\\s*(?:\\\\pi(?![A-Za-z])|π|\\\\sqrt|\\^|\\\\times|×|\\\\cdot)");

    private NumberParser() {
    }

    /** The value of a text that is one number and nothing else (after LaTeX clean-up), or empty. */
    static OptionalDouble parse(String text) {
        String s = clean(text);
        if (s.isEmpty()) {
            return OptionalDouble.empty();
        }
        if (s.startsWith("{") && Boxed.matchingBrace(s, 0) == s.length() - 1) {
            return parse(s.substring(1, s.length() - 1));
        }
        boolean negative = false;
        if (s.startsWith("-") && s.length() > 1 && s.charAt(1) == '\\') {
            negative = true;
            s = s.substring(1);
        }
        if (s.startsWith("\\frac") || s.startsWith("\\dfrac") || s.startsWith("\\tfrac")) {
            OptionalDouble value = fraction(s.substring(s.indexOf("frac") + 4));
            if (value.isPresent() && negative) {
                return OptionalDouble.of(-value.getAsDouble());
            }
            return value;
        }
        if (negative) {
            return OptionalDouble.empty();
        }
        if (PLAIN.matcher(s).matches()) {
            return OptionalDouble.of(Double.parseDouble(s.replace(",", "")));
        }
        Matcher slash = SLASH.matcher(s);
        if (slash.matches()) {
            return divide(Double.parseDouble(slash.group(1)), Double.parseDouble(slash.group(2)));
        }
        return OptionalDouble.empty();
    }

    /** The last number written in running text, or empty. Simple {@code \frac{a}{b}} count as a/b. */
    static OptionalDouble last(String text) {
        return lastWritten(text).map(NumberParser::parse).orElse(OptionalDouble.empty());
    }

    /**
     * The text of the last number written in running text, as {@link #last} reads it; the text is read as
     * plain text ({@link LatexText}), so {@code 9\text{ cm}^2} gives 9, not 2. When the last number is a
     * factor or a base ({@code 2\pi}, {@code 3^2}, {@code 3 \times 10^8}) there is none: its value is not
     * the value written.
     */
    static Optional<String> lastWritten(String text) {
        // the space keeps a mixed number's whole part apart: 2\frac{1}{2} is not 21/2
        String s = SIMPLE_FRAC.matcher(LatexText.toPlain(text)).replaceAll(" $1/$2");
        Matcher matcher = IN_TEXT.matcher(s);
        String last = null;
        int end = 0;
        while (matcher.find()) {
            last = matcher.group();
            end = matcher.end();
        }
        if (last != null && FACTOR_AFTER.matcher(s).region(end, s.length()).lookingAt()) {
            return Optional.empty(); // "2\pi", "3^2", "3 \times 10^8": the last number is a factor, not the answer
        }
        return Optional.ofNullable(last);
    }

    /** "{a}{b}" → a / b, each side parsed recursively (so nested fractions work). */
    private static OptionalDouble fraction(String rest) {
        rest = rest.trim();
        if (!rest.startsWith("{")) {
            return OptionalDouble.empty();
        }
        int endNumerator = Boxed.matchingBrace(rest, 0);
        if (endNumerator < 0 || endNumerator + 1 >= rest.length() || rest.charAt(endNumerator + 1) != '{') {
            return OptionalDouble.empty();
        }
        int endDenominator = Boxed.matchingBrace(rest, endNumerator + 1);
        if (endDenominator != rest.length() - 1) {
            return OptionalDouble.empty();
        }
        OptionalDouble numerator = parse(rest.substring(1, endNumerator));
        OptionalDouble denominator = parse(rest.substring(endNumerator + 2, endDenominator));
        if (numerator.isEmpty() || denominator.isEmpty()) {
            return OptionalDouble.empty();
        }
        return divide(numerator.getAsDouble(), denominator.getAsDouble());
    }

    private static OptionalDouble divide(double numerator, double denominator) {
        return denominator == 0 ? OptionalDouble.empty() : OptionalDouble.of(numerator / denominator);
    }

    /** The text as plain text ({@link LatexText}) without a trailing percent sign. */
    private static String clean(String text) {
        String s = LatexText.toPlain(text);
        if (s.endsWith("%")) {
            s = s.substring(0, s.length() - 1).trim();
        }
        return s;
    }
}
