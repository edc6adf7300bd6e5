package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Added-token matching. The expectations restate the behaviour Hugging Face's own tests pin down for
 * {@code AddedVocabulary} (single_word, lstrip/rstrip with Unicode spaces, leftmost-longest matching).
 */
class AddedTokenMatcherTest {

    /** Segments as strings, added-token matches in square brackets. */
    static List<String> cut(AddedTokenMatcher matcher, String text) {
        List<String> out = new ArrayList<>();
        for (AddedTokenMatcher.Segment s : matcher.split(text)) {
            out.add(s.token() == null ? s.text() : "[" + s.text() + "]");
        }
        return out;
    }

    static AddedTokenMatcher matcher(AddedToken... tokens) {
        return new AddedTokenMatcher(List.of(tokens), AddedToken::content);
    }

    @Test
    void singleWordTokensOnlyMatchWhereNoWordCharacterTouchesThem() {
        AddedTokenMatcher m = matcher(new AddedToken(0, "<mask>", true, false, false, false, false));
        // "A<mask>" and "<mask>ony" touch letters, so those two are left in the text.
        assertEquals(List.of("[<mask>]", " My name ", "[<mask>]", " A<mask> <mask>ony ", "[<mask>]"),
                cut(m, "<mask> My name <mask> A<mask> <mask>ony <mask>"));
        // Punctuation is not a word character, a combining mark (U+0330 under U+25CC) is.
        assertEquals(List.of("[<mask>]", ", ", "[<mask>]", "- \u25cc\u0330<mask>"),
                cut(m, "<mask>, <mask>- \u25cc\u0330<mask>"));
    }

    @Test
    void stripsTakeUnicodeWhitespaceButNotAnEarlierMatch() {
        AddedTokenMatcher m = matcher(new AddedToken(0, "<mask>", true, true, true, false, false));
        // The third match would strip the tab before it, but the second already took that tab; U+2000 (EN QUAD)
        // is whitespace.
        assertEquals(List.of("Hi", "[ <mask> ]", "there", "[\t<mask>\t]", "[<mask>\u2000]"),
                cut(m, "Hi <mask> there\t<mask>\t<mask>\u2000"));
    }

    @Test
    void leftmostThenLongest() {
        AddedTokenMatcher m = matcher(AddedToken.special(0, "<a>"), AddedToken.special(1, "<a><b>"),
                AddedToken.special(2, "ab"), AddedToken.special(3, "bc"));
        assertEquals(List.of("x", "[<a><b>]", "y", "[<a>]"), cut(m, "x<a><b>y<a>"));
        // "ab" starts further left than "bc", so it wins and "c" is left over.
        assertEquals(List.of("[ab]", "c"), cut(m, "abc"));
        assertEquals(List.of(), cut(m, ""));
        assertEquals(List.of("[ab]", "[ab]"), cut(m, "abab"));
    }

    @Test
    void noTokensLeavesTheTextWhole() {
        AddedTokenMatcher m = matcher();
        assertEquals(List.of("any text"), cut(m, "any text"));
    }
}
