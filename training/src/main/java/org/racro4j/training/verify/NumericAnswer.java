package org.racro4j.training.verify;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A short answer read as one number, the way the papers' graders read a boxed numeric answer. After
 * {@link LatexText} has made the text plain:
 * <ul>
 *   <li>one leading {@code name =} or {@code name ≈} is dropped: {@code x = 7}, {@code AB = 5 cm},
 *       {@code \theta = 30°}, {@code x \approx 3.14} (a text with a second "=" is not one number, and
 *       {@code 3 + 4 = 7} has no name before its "=": both are left to the caller);</li>
 *   <li>a leading {@code ≈} ({@code \approx}) is dropped, and so is one pair of parentheses around the
 *       whole answer ({@code \left( \frac{3}{4} \right)});</li>
 *   <li>a trailing {@code %} or the word {@code percent} marks a percentage (see {@link #matches});</li>
 *   <li>a trailing unit is dropped: one to four words of letters, {@code °} or {@code '}, each with an
 *       optional exponent, joined by spaces, {@code /}, {@code *}, {@code ·} or {@code .} ({@code 9 cm^2},
 *       {@code 12m}, {@code 5 m/s^{2}}, {@code 45°}, {@code 3 square units}, {@code 7 o'clock}). The
 *       exponent belongs to the unit, so the answer of {@code 9 cm^2} is 9, never 2. A unit holds no
 *       digit outside its exponents, so {@code 3 or 4} is not a number with a unit, and {@code π} or
 *       {@code pi} is a factor, not a unit;</li>
 *   <li>what is left is a number as {@link NumberParser#parse} reads it, a mixed number
 *       ({@code 2\frac{1}{2}} and {@code 2 1/2} are 2.5, {@code -1\tfrac{3}{4}} is -1.75), or one in
 *       scientific notation ({@code 3 \times 10^{8}}, {@code 2.5 × 10^-3}).</li>
 * </ul>
 *
 * @param value   the number, a percentage's sign dropped (50 for "50%")
 * @param percent whether the answer was written as a percentage
 */
record NumericAnswer(double value, boolean percent) {

    private static final Pattern ASSIGNMENT = Pattern.compile(
            "\\\\?[A-Za-z][A-Za-z0-9]*(?:_\\{?\\w+\\}?)?\\s*[=≈]\\s*([^=≈]+)");
    private static final Pattern APPROXIMATELY = Pattern.compile("≈\\s*(.+)");
    private static final Pattern PARENTHESISED = Pattern.compile("\\(([^()]*)\\)");
    private static final String UNIT_WORD = "[\\p{L}°'][\\p{L}°']*(?:\\^\\{?-?\\d+\\}?)?";
    private static final Pattern WITH_UNIT = Pattern.compile(
            "(.+?)\\s*(" + UNIT_WORD + "(?:\\s*(?:[/*·.]|\\s)\\s*" + UNIT_WORD + "){0,3})\\.?");
    private static final Pattern SCIENTIFIC = Pattern.compile(
            "(.+?)\\s*(?:\\\\times|\\\\cdot|×|\\*|x)\\s*10\\s*\\^\\s*(?:\\{\\s*([-+]?\\d{1,3})\\s*\\}|([-+]?\\d{1,3}))");
    /** A whole number and a positive fraction: {@code 2\frac{1}{2}}, {@code 2 1/2}, {@code -1\tfrac{3}{4}}. */
    private static final Pattern MIXED = Pattern.compile("(-?)(\\d+)\\s*(\\\\frac\\{\\d+\\}\\{\\d+\\}|\\s\\d+/\\d+)");
    /** Constants that look like units but multiply: {@code 2π} and {@code 2 pi} are not 2. */
    private static final Pattern CONSTANT = Pattern.compile("(?i)π|\\bpi\\b");

    /** The answer's number, or empty when the text is not one number (with or without a unit). */
    static Optional<NumericAnswer> read(String text) {
        String s = LatexText.toPlain(text);
        Matcher assignment = ASSIGNMENT.matcher(s);
        if (assignment.matches()) {
            s = assignment.group(1).trim();
        }
        Matcher approximately = APPROXIMATELY.matcher(s);
        if (approximately.matches()) {
            s = approximately.group(1).trim();
        }
        Matcher parenthesised = PARENTHESISED.matcher(s);
        if (parenthesised.matches()) {
            s = parenthesised.group(1).trim();
        }
        boolean percent = s.endsWith("%");
        if (percent) {
            s = s.substring(0, s.length() - 1).trim();
        }
        OptionalDouble value = number(s);
        if (value.isEmpty()) {
            Matcher withUnit = WITH_UNIT.matcher(s);
            if (withUnit.matches() && !CONSTANT.matcher(withUnit.group(2)).find()) {
                value = number(withUnit.group(1));
                percent |= withUnit.group(2).equalsIgnoreCase("percent");
            }
        }
        return value.isPresent() ? Optional.of(new NumericAnswer(value.getAsDouble(), percent)) : Optional.empty();
    }

    /**
     * Whether this answer equals the reference within the tolerance. A percentage on either side may also
     * be meant as a fraction: "50%" equals a reference of 50 (MathVista writes percentages as plain
     * numbers) and one of 0.5 (Math-Verify reads "50%" as 50/100), and a reference of "50%" is met by 50
     * or 0.5. Without a percent sign 0.5 and 50 differ.
     */
    boolean matches(NumericAnswer reference, Tolerance tolerance) {
        return tolerance.equal(value, reference.value)
               || percent && tolerance.equal(value / 100, reference.value)
               || reference.percent && tolerance.equal(value, reference.value / 100);
    }

    private static OptionalDouble number(String s) {
        OptionalDouble plain = NumberParser.parse(s);
        if (plain.isPresent()) {
            return plain;
        }
        Matcher mixed = MIXED.matcher(s);
        if (mixed.matches()) {
            OptionalDouble part = NumberParser.parse(mixed.group(3));
            double whole = Double.parseDouble(mixed.group(2));
            double sign = mixed.group(1).isEmpty() ? 1 : -1;
            return part.isPresent() ? OptionalDouble.of(sign * (whole + part.getAsDouble())) : OptionalDouble.empty();
        }
        Matcher scientific = SCIENTIFIC.matcher(s);
        if (!scientific.matches()) {
            return OptionalDouble.empty();
        }
        OptionalDouble mantissa = NumberParser.parse(scientific.group(1));
        String exponent = scientific.group(2) != null ? scientific.group(2) : scientific.group(3);
        return mantissa.isPresent()
                ? OptionalDouble.of(mantissa.getAsDouble() * Math.pow(10, Integer.parseInt(exponent)))
                : OptionalDouble.empty();
    }
}
