package org.racro4j.training.verify;

import java.util.ArrayList;
import java.util.List;

/** Finds the contents of {@code \boxed{...}} in LaTeX-ish text, with nested braces balanced. */
final class Boxed {

    private static final String COMMAND = "\\boxed";

    private Boxed() {
    }

    /** The contents of every complete {@code \boxed{...}}, in order; unterminated ones are left out. */
    static List<String> all(String text) {
        List<String> contents = new ArrayList<>();
        int from = 0;
        while (true) {
            int at = text.indexOf(COMMAND, from);
            if (at < 0) {
                return contents;
            }
            int open = at + COMMAND.length();
            while (open < text.length() && text.charAt(open) == ' ') {
                open++;
            }
            from = at + COMMAND.length();
            if (open >= text.length() || text.charAt(open) != '{') {
                continue;
            }
            int close = matchingBrace(text, open);
            if (close < 0) {
                continue;
            }
            contents.add(text.substring(open + 1, close));
            from = close + 1;
        }
    }

    /** The index of the brace closing the one at {@code open}, or −1 when the braces never balance. */
    static int matchingBrace(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '{' || text.charAt(i + 1) == '}')) {
                i++; // an escaped brace is text, not structure
            } else if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }
}
