package org.racro4j.models.chat;

/**
 * One lexical token of a template: literal text between tags, a tag delimiter, or a piece of an expression.
 * {@code offset} is where it starts in the template source, for error messages.
 */
record Token(Type type, String text, Object value, int offset) {

    enum Type { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    boolean is(Type t, String s) {
        return type == t && text.equals(s);
    }

    boolean isOp(String s) {
        return is(Type.OP, s);
    }

    boolean isName(String s) {
        return is(Type.NAME, s);
    }

    String describe() {
        return switch (type) {
            case EOF -> "end of template";
            case TEXT -> "text";
            case VAR_BEGIN -> "'{{'";
            case VAR_END -> "'}}'";
            case BLOCK_BEGIN -> "'{%'";
            case BLOCK_END -> "'%}'";
            default -> "'" + text + "'";
        };
    }
}
