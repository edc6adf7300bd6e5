package org.racro4j.models.chat;

/**
 * A chat template that cannot be parsed or rendered. The message names the template (when it has a name), the line
 * and column in the template source, and the problem, e.g. {@code "Qwen/Qwen3-8B chat template, line 3, column 14:
 * unknown filter 'trimm'"}.
 */
public final class TemplateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;

    TemplateException(String templateName, int line, int column, String problem) {
        super((templateName == null ? "chat template" : templateName + " chat template")
              + ", line " + line + ", column " + column + ": " + problem);
        this.line = line;
        this.column = column;
    }

    /** The 1-based line of the template source where the problem is. */
    public int line() {
        return line;
    }

    /** The 1-based column (in characters) of the template source where the problem is. */
    public int column() {
        return column;
    }
}
