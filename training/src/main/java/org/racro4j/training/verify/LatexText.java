package org.racro4j.training.verify;

import java.util.regex.Pattern;

/**
 * Rewrites the LaTeX that models put in and around short answers into plain text, so that the number and
 * word readers see {@code 9 cm^2} where the model wrote {@code $9\text{ cm}^2$}. The rules, applied in
 * this order:
 * <ul>
 *   <li>{@code \dfrac} and {@code \tfrac} become {@code \frac}, and a one-character argument gets its
 *       braces: {@code \frac12} is {@code \frac{1}{2}}, {@code \frac{12}5} is {@code \frac{12}{5}};</li>
 *   <li>text wrappers ({@code \text}, {@code \textbf}, {@code \textit}, {@code \textrm}, {@code \mathrm},
 *       {@code \mathbf}, {@code \mathit}, {@code \mbox}, {@code \operatorname}) are replaced by their
 *       contents, from the inside out;</li>
 *   <li>{@code \$} (a dollar sign, as in {@code \$5}) is dropped, and so are the math delimiters
 *       {@code $}, {@code \(}, {@code \)}, {@code \[}, {@code \]} and the sizing commands
 *       {@code \left}, {@code \right}, {@code \displaystyle};</li>
 *   <li>the thin spaces {@code \,} and {@code \!} are dropped (they separate thousands in
 *       {@code 1\,000}); the wider spaces {@code \;}, {@code \:}, {@code \quad}, {@code \qquad},
 *       {@code \ } and {@code ~} become a space; {@code {,}} becomes a comma;</li>
 *   <li>degrees {@code ^\circ}, {@code ^{\circ}}, {@code \circ} and {@code \degree} become {@code °};
 *       {@code \%} becomes {@code %}, {@code \approx} becomes {@code ≈} and the Unicode minus a hyphen;</li>
 *   <li>runs of white space become one space, and the ends are trimmed.</li>
 * </ul>
 * Everything else, {@code \frac} included, is left for the readers: {@link NumberParser} knows fractions.
 */
final class LatexText {

    private static final Pattern FRAC_VARIANT = Pattern.compile("\\\\[dt]frac(?![A-Za-z])");
    private static final Pattern FRAC_BARE_NUMERATOR = Pattern.compile("\\\\frac\\s*([0-9A-Za-z])");
    private static final Pattern FRAC_BARE_DENOMINATOR = Pattern.compile("(\\\\frac\\{[^{}]*\\})\\s*([0-9A-Za-z])");
    private static final Pattern TEXT_WRAPPER = Pattern.compile(
            "\\\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mbox|operatorname)\\s*\\{([^{}]*)\\}");
    private static final Pattern DEGREES = Pattern.compile("\\^\\s*\\{?\\s*\\\\circ\\s*\\}?|\\\\circ(?![A-Za-z])|\\\\degree(?![A-Za-z])");
    private static final Pattern WIDE_SPACE = Pattern.compile("\\\\(?:qquad|quad)(?![A-Za-z])|\\\\[;: ]|~");
    private static final Pattern SIZING = Pattern.compile("\\\\(?:left|right|displaystyle)(?![A-Za-z])");

    private LatexText() {
    }

    static String toPlain(String latex) {
        String s = FRAC_VARIANT.matcher(latex).replaceAll("\\\\frac");
        s = FRAC_BARE_NUMERATOR.matcher(s).replaceAll("\\\\frac{$1}");
        s = FRAC_BARE_DENOMINATOR.matcher(s).replaceAll("$1{$2}");
        String previous;
        do { // \text{\textbf{red}} unwraps from the inside out
            previous = s;
            s = TEXT_WRAPPER.matcher(s).replaceAll("$1");
        } while (!s.equals(previous));
        s = s.replace("\\$", "")
                .replace("$", "")
                .replace("\\(", "")
                .replace("\\)", "")
                .replace("\\[", "")
                .replace("\\]", "");
        s = SIZING.matcher(s).replaceAll("");
        s = s.replace("\\,", "").replace("\\!", "").replace("{,}", ",");
        s = WIDE_SPACE.matcher(s).replaceAll(" ");
        s = DEGREES.matcher(s).replaceAll("°");
        s = s.replace("\\%", "%").replace("\\approx", "≈").replace('\u2212', '-');
        return s.replaceAll("\\s+", " ").trim();
    }
}
