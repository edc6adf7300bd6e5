package org.racro4j.models.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens the way Jinja2's lexer does with Hugging Face's settings
 * ({@code trim_blocks=True, lstrip_blocks=True}):
 * <ul>
 *   <li>{@code {%- ... -%}}, {@code {{- ... -}}}, {@code {#- ... -#}}: a minus removes all whitespace (newlines
 *       included) on that side of the tag;</li>
 *   <li>trim_blocks: the first newline after a block tag or a comment is removed;</li>
 *   <li>lstrip_blocks: spaces and tabs from the start of a line up to a block tag or a comment are removed;</li>
 *   <li>a plus ({@code {%+}, {@code +%}}) turns lstrip_blocks or trim_blocks off for that tag.</li>
 * </ul>
 * Inside tags it produces names, numbers, string literals (with Python's escapes) and operators.
 * {@code {% raw %}...{% endraw %}} is passed through as text. As in Jinja2, line endings are read as \n and one
 * newline at the end of the template is dropped.
 */
final class Lexer {
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">", ";"
    };

    private final Source source;
    private final String s;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private boolean lineStarting = true;

    private Lexer(Source source) {
        this.source = source;
        this.s = normalizeNewlines(source.text());
    }

    /**
     * As Jinja2 reads a source: every \r\n and \r becomes \n, and one newline at the very end is dropped
     * ({@code keep_trailing_newline=False}). Offsets stay close enough for error messages: only \r go.
     */
    static String normalizeNewlines(String text) {
        String t = text.indexOf('\r') < 0 ? text : text.replace("\r\n", "\n").replace('\r', '\n');
        return t.endsWith("\n") ? t.substring(0, t.length() - 1) : t;
    }

    static List<Token> tokenize(Source source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        while (pos < s.length()) {
            int start = nextTagStart(pos);
            if (start < 0) {
                addText(s.substring(pos), pos);
                pos = s.length();
                break;
            }
            char kind = s.charAt(start + 1);
            char sign = start + 2 < s.length() ? s.charAt(start + 2) : 0;
            String text = s.substring(pos, start);
            if (sign == '-') {
                text = rstripPython(text);
            } else if (sign != '+' && kind != '{') {
                int lineBegin = text.lastIndexOf('\n') + 1;
                if ((lineBegin > 0 || lineStarting) && lineBegin < text.length()
                    && isAllWhitespace(text, lineBegin)) {
                    text = text.substring(0, lineBegin);
                }
            }
            addText(text, pos);
            int inner = start + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            if (kind == '#') {
                comment(start, inner);
            } else if (kind == '%' && isRaw(inner)) {
                raw(start);
            } else {
                tag(kind == '{', start, inner);
            }
        }
        tokens.add(new Token(Token.Type.EOF, "", null, s.length()));
    }

    private int nextTagStart(int from) {
        int i = s.indexOf('{', from);
        while (i >= 0 && i + 1 < s.length()) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = s.indexOf('{', i + 1);
        }
        return -1;
    }

    private void addText(String text, int offset) {
        if (!text.isEmpty()) {
            tokens.add(new Token(Token.Type.TEXT, text, null, offset));
        }
    }

    private void comment(int start, int inner) {
        int end = s.indexOf("#}", inner);
        if (end < 0) {
            throw source.error(start, "comment '{#' is never closed with '#}'");
        }
        pos = end + 2;
        char before = end > inner ? s.charAt(end - 1) : 0;
        finishTag(before);
    }

    /** After a closing delimiter: '-' eats the following whitespace, '+' keeps it, otherwise one newline goes. */
    private void finishTag(char sign) {
        if (sign == '-') {
            while (pos < s.length() && isPythonSpace(s.charAt(pos))) {
                pos++;
            }
        } else if (sign != '+' && pos < s.length() && s.charAt(pos) == '\n') {
            pos++;
        }
        lineStarting = pos > 0 && s.charAt(pos - 1) == '\n';
    }

    private void finishVariable(char sign) {
        if (sign == '-') {
            while (pos < s.length() && isPythonSpace(s.charAt(pos))) {
                pos++;
            }
        }
        lineStarting = pos > 0 && s.charAt(pos - 1) == '\n';
    }

    private boolean isRaw(int inner) {
        int i = skipSpaces(inner);
        if (!s.startsWith("raw", i)) {
            return false;
        }
        i = skipSpaces(i + 3);
        return s.startsWith("%}", i) || s.startsWith("-%}", i) || s.startsWith("+%}", i);
    }

    private void raw(int start) {
        int close = s.indexOf("%}", start) + 2;
        char openSign = s.charAt(close - 3);
        int bodyStart = close;
        if (openSign == '-') {
            while (bodyStart < s.length() && isPythonSpace(s.charAt(bodyStart))) {
                bodyStart++;
            }
        } else if (openSign != '+' && bodyStart < s.length() && s.charAt(bodyStart) == '\n') {
            bodyStart++;
        }
        int search = bodyStart;
        while (true) {
            int tag = s.indexOf("{%", search);
            if (tag < 0) {
                throw source.error(start, "'{% raw %}' is never closed with '{% endraw %}'");
            }
            int i = tag + 2;
            char sign = i < s.length() ? s.charAt(i) : 0;
            if (sign == '-' || sign == '+') {
                i++;
            }
            i = skipSpaces(i);
            if (s.startsWith("endraw", i)) {
                int j = skipSpaces(i + 6);
                char endSign = 0;
                if (j < s.length() && (s.charAt(j) == '-' || s.charAt(j) == '+')) {
                    endSign = s.charAt(j);
                    j++;
                }
                if (s.startsWith("%}", j)) {
                    String body = s.substring(bodyStart, tag);
                    if (sign == '-') {
                        body = rstripPython(body);
                    }
                    addText(body, bodyStart);
                    pos = j + 2;
                    finishTag(endSign);
                    return;
                }
            }
            search = tag + 2;
        }
    }

    private int skipSpaces(int i) {
        while (i < s.length() && isPythonSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private void tag(boolean variable, int start, int inner) {
        tokens.add(new Token(variable ? Token.Type.VAR_BEGIN : Token.Type.BLOCK_BEGIN,
                             variable ? "{{" : "{%", null, start));
        pos = inner;
        int depth = 0;
        while (true) {
            while (pos < s.length() && isPythonSpace(s.charAt(pos))) {
                pos++;
            }
            if (pos >= s.length()) {
                throw source.error(start, (variable ? "'{{' is never closed with '}}'" : "'{%' is never closed with '%}'"));
            }
            String close = variable ? "}}" : "%}";
            char sign = 0;
            int end = -1;
            if ((s.startsWith("-" + close, pos) || (!variable && s.startsWith("+" + close, pos)))
                && (depth == 0 || !variable)) {
                sign = s.charAt(pos);
                end = pos + 3;
            } else if (s.startsWith(close, pos) && (depth == 0 || !variable)) {
                end = pos + 2;
            }
            if (end >= 0) {
                tokens.add(new Token(variable ? Token.Type.VAR_END : Token.Type.BLOCK_END, close, null, pos));
                pos = end;
                if (variable) {
                    finishVariable(sign);
                } else {
                    finishTag(sign);
                }
                return;
            }
            char c = s.charAt(pos);
            if (Character.isLetter(c) || c == '_') {
                int b = pos;
                while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                    pos++;
                }
                tokens.add(new Token(Token.Type.NAME, s.substring(b, pos), null, b));
            } else if (c >= '0' && c <= '9') {
                number();
            } else if (c == '\'' || c == '"') {
                string(c);
            } else {
                String op = operatorAt(pos);
                if (op == null) {
                    throw source.error(pos, "unexpected character '" + c + "' inside " + (variable ? "'{{ }}'" : "'{% %}'"));
                }
                if (op.equals("(") || op.equals("[") || op.equals("{")) {
                    depth++;
                } else if (op.equals(")") || op.equals("]") || op.equals("}")) {
                    depth--;
                }
                tokens.add(new Token(Token.Type.OP, op, null, pos));
                pos += op.length();
            }
        }
    }

    private String operatorAt(int i) {
        for (String op : OPERATORS) {
            if (s.startsWith(op, i)) {
                return op;
            }
        }
        return null;
    }

    private void number() {
        int b = pos;
        digits();
        boolean isFloat = false;
        if (pos + 1 < s.length() && s.charAt(pos) == '.' && isDigit(s.charAt(pos + 1))) {
            pos++;
            digits();
            isFloat = true;
        }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            int e = pos + 1;
            if (e < s.length() && (s.charAt(e) == '+' || s.charAt(e) == '-')) {
                e++;
            }
            if (e < s.length() && isDigit(s.charAt(e))) {
                pos = e;
                digits();
                isFloat = true;
            }
        }
        String text = s.substring(b, pos);
        String clean = text.replace("_", "");
        if (isFloat) {
            tokens.add(new Token(Token.Type.FLOAT, text, Double.parseDouble(clean), b));
        } else {
            try {
                tokens.add(new Token(Token.Type.INT, text, Long.parseLong(clean), b));
            } catch (NumberFormatException e) {
                throw source.error(b, "integer " + text + " is too large");
            }
        }
    }

    private void digits() {
        while (pos < s.length() && (isDigit(s.charAt(pos)) || (s.charAt(pos) == '_' && pos + 1 < s.length()
                                                                && isDigit(s.charAt(pos + 1))))) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** A quoted string; its escapes decode as Python's "unicode-escape" codec does, which is what Jinja2 uses. */
    private void string(char quote) {
        int b = pos;
        StringBuilder out = new StringBuilder();
        int i = pos + 1;
        while (true) {
            if (i >= s.length()) {
                throw source.error(b, "string literal is never closed");
            }
            char c = s.charAt(i);
            if (c == quote) {
                break;
            }
            if (c != '\\') {
                out.append(c == '\r' ? '\n' : c);
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                i++;
                continue;
            }
            if (i + 1 >= s.length()) {
                throw source.error(b, "string literal is never closed");
            }
            char e = s.charAt(i + 1);
            i += 2;
            switch (e) {
                case '\n' -> { }
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x' -> i = hexEscape(out, i, 2, b);
                case 'u' -> i = hexEscape(out, i, 4, b);
                case 'U' -> i = hexEscape(out, i, 8, b);
                default -> {
                    if (e >= '0' && e <= '7') {
                        int value = e - '0';
                        int n = 1;
                        while (n < 3 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7') {
                            value = value * 8 + (s.charAt(i) - '0');
                            i++;
                            n++;
                        }
                        out.appendCodePoint(value);
                    } else {
                        out.append('\\').append(e); // Python keeps unknown escapes as they are
                    }
                }
            }
        }
        pos = i + 1;
        tokens.add(new Token(Token.Type.STRING, s.substring(b, pos), out.toString(), b));
    }

    private int hexEscape(StringBuilder out, int i, int count, int literalStart) {
        if (i + count > s.length()) {
            throw source.error(i - 2, "truncated \\" + s.charAt(i - 1) + " escape in string literal");
        }
        String hex = s.substring(i, i + count);
        try {
            int cp = Integer.parseInt(hex, 16);
            if (!Character.isValidCodePoint(cp)) {
                throw source.error(i - 2, "escape \\" + s.charAt(i - 1) + hex + " is not a valid code point");
            }
            out.appendCodePoint(cp);
        } catch (NumberFormatException ex) {
            throw source.error(i - 2, "truncated \\" + s.charAt(i - 1) + " escape in string literal");
        }
        return i + count;
    }

    private static boolean isAllWhitespace(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (!isPythonSpace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static String rstripPython(String text) {
        int end = text.length();
        while (end > 0 && isPythonSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }

    /** Python's str.isspace() for one char: what {@code \s} and {@code str.strip()} treat as whitespace. */
    static boolean isPythonSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= '\u001f') || c == '\u0085'
               || c == '\u00a0' || c == '\u1680' || (c >= '\u2000' && c <= '\u200a') || c == '\u2028'
               || c == '\u2029' || c == '\u202f' || c == '\u205f' || c == '\u3000';
    }
}
