package org.racro4j.models.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the split regexes of tokenizer.json so that Java's engine finds what Hugging Face's Oniguruma finds.
 *
 * <p>Both are backtracking engines with the same leftmost-first alternation, and the patterns in use (GPT-2's,
 * Qwen2's, Llama 3's) use only constructs both spell alike. What differs is the defaults: Oniguruma is Unicode
 * aware, Java is ASCII unless told. {@link Pattern#UNICODE_CHARACTER_CLASS} makes {@code \s} Unicode White_Space
 * (U+0009..U+000D, U+0085 and the space, line and paragraph separators, which is Oniguruma's list), makes
 * {@code \w}/{@code \d} Unicode, and turns on Unicode case folding so that {@code (?i:'s)} also matches
 * {@code 'ſ} (U+017F folds to s) as Oniguruma does. {@code \p{L}}/{@code \p{N}} are general categories in both;
 * Java matches classes on code points, so an emoji (two UTF-16 chars) is one character to the regex as it is
 * one to Oniguruma. The Unicode tables themselves are the JDK's (Unicode 13 in Java 17), so characters assigned
 * after that may be classed differently than by a newer Oniguruma.
 */
final class SplitRegex {
    private SplitRegex() {}

    /** GPT-2's pre-tokenizer regex, which the ByteLevel pre-tokenizer applies when {@code use_regex} is true. */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Qwen2's split regex: like Llama 3's but with single digits. */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Compiles a regex from tokenizer.json; throws {@link PatternSyntaxException} when Java cannot read it. */
    static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** A {@code {"String": ...}} split pattern: the text itself, matched literally. */
    static Pattern literal(String text) {
        return Pattern.compile(Pattern.quote(text));
    }
}
