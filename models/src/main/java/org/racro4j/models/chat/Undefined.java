package org.racro4j.models.chat;

/**
 * The value of a missing variable, attribute or item, as Jinja2's default {@code Undefined}: it prints as
 * nothing, is false, iterates as empty and has length 0, but using it in arithmetic, calling it or taking an
 * attribute of it is an error that says what was missing.
 */
final class Undefined {
    private final String hint;

    Undefined(String hint) {
        this.hint = hint;
    }

    /** Why the value is undefined, e.g. "'foo' is undefined" or "'dict object' has no attribute 'bar'". */
    String hint() {
        return hint;
    }

    @Override
    public String toString() {
        return "";
    }
}
