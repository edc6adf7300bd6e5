package org.racro4j.models.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finds added tokens in a text and cuts the text around them, following Hugging Face's
 * {@code AddedVocabulary::find_matches}:
 * <ul>
 *   <li>matches are leftmost-longest and do not overlap: at the first position where any token starts, the
 *       longest token starting there wins, and the search goes on after it;</li>
 *   <li>a {@code single_word} match with a word character ({@code \w}) right before or after it is dropped (the
 *       text it covered is not searched again for a shorter token);</li>
 *   <li>{@code lstrip} extends the match left over whitespace (not into an earlier match), {@code rstrip} right.</li>
 * </ul>
 * The pieces between matches are returned with a null token; empty pieces are left out.
 */
final class AddedTokenMatcher {

    /** A piece of the text: either an added token's match (token non-null) or plain text to tokenize further. */
    record Segment(String text, AddedToken token) {}

    /** A character trie over the token contents. */
    private static final class Node {
        final Map<Character, Node> next = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean empty;

    /**
     * @param tokens          the tokens to find
     * @param contentToMatch  the string to search for each token (its content, or its normalized content)
     */
    AddedTokenMatcher(List<AddedToken> tokens, Function<AddedToken, String> contentToMatch) {
        boolean any = false;
        for (AddedToken token : tokens) {
            String content = contentToMatch.apply(token);
            if (content.isEmpty()) {
                continue;
            }
            Node node = root;
            for (int i = 0; i < content.length(); i++) {
                node = node.next.computeIfAbsent(content.charAt(i), c -> new Node());
            }
            // Two tokens with the same string to match: the first one listed keeps it, as the Aho-Corasick
            // automaton Hugging Face builds reports the lowest pattern index.
            if (node.token == null) {
                node.token = token;
            }
            any = true;
        }
        this.empty = !any;
    }

    /** Cuts {@code text} into added-token matches and the text between them. */
    List<Segment> split(String text) {
        List<Segment> segments = new ArrayList<>();
        if (empty) {
            if (!text.isEmpty()) {
                segments.add(new Segment(text, null));
            }
            return segments;
        }
        int taken = 0;   // end of the last match: text before it is already in `segments`
        int pos = 0;     // where the search for the next match starts
        while (pos < text.length()) {
            int start = -1;
            int end = -1;
            AddedToken token = null;
            for (int s = pos; s < text.length() && token == null; s++) {
                Node node = root;
                for (int i = s; i < text.length(); i++) {
                    node = node.next.get(text.charAt(i));
                    if (node == null) {
                        break;
                    }
                    if (node.token != null) {
                        token = node.token;
                        start = s;
                        end = i + 1;
                    }
                }
            }
            if (token == null) {
                break;
            }
            pos = end;
            if (token.singleWord() && !standsAlone(text, start, end)) {
                continue;
            }
            if (token.lstrip()) {
                int s = start;
                while (s > 0) {
                    int cp = text.codePointBefore(s);
                    if (!UnicodeClasses.isWhiteSpace(cp)) {
                        break;
                    }
                    s -= Character.charCount(cp);
                }
                start = Math.max(s, taken);
            }
            if (token.rstrip()) {
                while (end < text.length()) {
                    int cp = text.codePointAt(end);
                    if (!UnicodeClasses.isWhiteSpace(cp)) {
                        break;
                    }
                    end += Character.charCount(cp);
                }
                // The search goes on from the token's own end, as Hugging Face's does: only a token that
                // itself starts with whitespace could be found inside the stripped run.
            }
            if (taken < start) {
                segments.add(new Segment(text.substring(taken, start), null));
            }
            segments.add(new Segment(text.substring(start, end), token));
            taken = end;
        }
        if (taken < text.length()) {
            segments.add(new Segment(text.substring(taken), null));
        }
        return segments;
    }

    /** No word character touches the match on either side (Hugging Face's {@code \w$} / {@code ^\w} checks). */
    private static boolean standsAlone(String text, int start, int end) {
        boolean wordBefore = start > 0 && UnicodeClasses.isWordChar(text.codePointBefore(start));
        boolean wordAfter = end < text.length() && UnicodeClasses.isWordChar(text.codePointAt(end));
        return !wordBefore && !wordAfter;
    }
}
