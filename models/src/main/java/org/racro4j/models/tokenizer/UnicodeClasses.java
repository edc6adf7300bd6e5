package org.racro4j.models.tokenizer;

/**
 * The character classes Hugging Face's Rust code uses outside its split regexes, written out so that Java's
 * different defaults ({@link Character#isWhitespace} leaves out U+00A0 and counts U+001C..U+001F) do not leak in.
 */
final class UnicodeClasses {
    private UnicodeClasses() {}

    /** Unicode White_Space: Rust's {@code char::is_whitespace} and the regex crate's {@code \s}. */
    static boolean isWhiteSpace(int cp) {
        if (cp >= 0x09 && cp <= 0x0D || cp == 0x85) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.SPACE_SEPARATOR || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** The regex crate's Unicode {@code \w}: Alphabetic, marks, decimal digits, connector punctuation, joiners. */
    static boolean isWordChar(int cp) {
        if (Character.isAlphabetic(cp)) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.DECIMAL_DIGIT_NUMBER
                || type == Character.CONNECTOR_PUNCTUATION || cp == 0x200C || cp == 0x200D;
    }
}
