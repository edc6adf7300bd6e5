package org.racro4j.models.chat;

/** A template's text and name, which turn an offset into the line and column an error message names. */
record Source(String name, String text) {

    /** The text the lexer reads (line endings normalised), which error offsets refer to. */
    String lexed() {
        return Lexer.normalizeNewlines(text);
    }

    TemplateException error(int offset, String problem) {
        int line = 1;
        int lineStart = 0;
        String lexed = lexed();
        int end = Math.max(0, Math.min(offset, lexed.length()));
        for (int i = 0; i < end; i++) {
            if (lexed.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        return new TemplateException(name, line, end - lineStart + 1, problem);
    }
}
