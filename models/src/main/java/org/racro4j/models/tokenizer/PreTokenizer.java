package org.racro4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face's byte-level pre-tokenization: zero or more {@code Split} steps (regex, behaviour Isolated), then
 * the {@code ByteLevel} step, which may put a space in front of each piece and may split each piece again with
 * GPT-2's regex. GPT-2 files use ByteLevel alone (with the regex); Qwen2 and Llama 3 files use
 * {@code Sequence[Split(their regex), ByteLevel(use_regex=false)]}.
 *
 * <p>The pieces come out as text; turning them into byte-level characters is the BPE model's job (it works on
 * the UTF-8 bytes directly).
 */
final class PreTokenizer {
    private final List<Pattern> splits;
    private final boolean addPrefixSpace;
    private final Pattern byteLevelRegex;

    /**
     * @param splits         the Split steps' patterns, applied in order, each keeping matches and gaps alike
     * @param addPrefixSpace ByteLevel's {@code add_prefix_space}: a piece not starting with ' ' gets one
     * @param useRegex       ByteLevel's {@code use_regex}: split each piece with GPT-2's regex
     */
    PreTokenizer(List<Pattern> splits, boolean addPrefixSpace, boolean useRegex) {
        this.splits = List.copyOf(splits);
        this.addPrefixSpace = addPrefixSpace;
        this.byteLevelRegex = useRegex ? SplitRegex.compile(SplitRegex.GPT2) : null;
    }

    /** Cuts {@code text} into the pieces the BPE model encodes one by one. */
    void split(String text, Consumer<String> piece) {
        if (splits.isEmpty()) {
            byteLevel(text, piece);
            return;
        }
        List<String> pieces = List.of(text);
        for (Pattern pattern : splits) {
            List<String> next = new ArrayList<>();
            for (String p : pieces) {
                isolate(pattern, p, next::add);
            }
            pieces = next;
        }
        for (String p : pieces) {
            byteLevel(p, piece);
        }
    }

    /**
     * The ByteLevel step on one piece. Like Hugging Face it adds the prefix space to every piece it is given, so
     * with Split steps before it (or added tokens in the text) more than the first word gets one.
     */
    private void byteLevel(String text, Consumer<String> piece) {
        if (text.isEmpty()) {
            return;
        }
        if (addPrefixSpace && text.charAt(0) != ' ') {
            text = " " + text;
        }
        if (byteLevelRegex == null) {
            piece.accept(text);
        } else {
            isolate(byteLevelRegex, text, piece);
        }
    }

    /**
     * Split with behaviour Isolated: every match is a piece and so is every non-empty gap between matches. The
     * search runs over the whole piece, so look-aheads such as {@code \s+(?!\S)} see the text after a match.
     */
    private static void isolate(Pattern pattern, String text, Consumer<String> out) {
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) {
                out.accept(text.substring(last, m.start()));
            }
            // An empty match still cuts the text there (its own empty piece is dropped, as Hugging Face drops
            // empty splits); none of the known patterns can match empty.
            if (m.end() > m.start()) {
                out.accept(text.substring(m.start(), m.end()));
            }
            last = m.end();
        }
        if (last < text.length()) {
            out.accept(text.substring(last));
        }
    }
}
