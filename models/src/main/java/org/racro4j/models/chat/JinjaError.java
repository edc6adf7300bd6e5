package org.racro4j.models.chat;

/**
 * A problem found while evaluating (Python's TypeError, ValueError, Jinja2's UndefinedError ...), before the
 * interpreter knows where in the template it happened; the interpreter turns it into a {@link TemplateException}
 * that names the position.
 */
final class JinjaError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JinjaError(String message) {
        super(message, null, false, false);
    }
}
