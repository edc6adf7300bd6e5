package org.racro4j.models.chat;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Jinja2 template, parsed once and rendered many times, with the subset of Jinja2 that Hugging Face chat
 * templates use and Hugging Face's environment settings ({@code trim_blocks=True, lstrip_blocks=True}, the
 * {@code loopcontrols} extension, its {@code tojson}, {@code raise_exception} and {@code strftime_now}).
 *
 * <p>Supported: {@code {{ }}}, {@code {% if/elif/else %}}, {@code {% for %}} (with {@code loop.*}, tuple
 * unpacking, an {@code if} filter, {@code else}, {@code break}, {@code continue}), {@code {% set %}} (also
 * {@code ns.attr} on a {@code namespace()} and the block form), {@code {% macro %}}, {@code {% raw %}},
 * {@code {% generation %}}, comments and whitespace control; expressions with Python's semantics for
 * {@code + - * / // % ** ~}, comparisons, {@code and or not in}, {@code x if c else y}, attribute, item and slice
 * access, string and dict methods, filters and tests. Not supported: {@code extends}, {@code include},
 * {@code import}, {@code call} blocks, autoescaping. Anything else is refused with a {@link TemplateException}
 * that names the line and column.
 *
 * <p>A parsed template is immutable; several threads may render it at once.
 */
public final class JinjaTemplate {
    private final Source source;
    private final List<Node> nodes;

    private JinjaTemplate(Source source, List<Node> nodes) {
        this.source = source;
        this.nodes = nodes;
    }

    /**
     * Parses {@code text}.
     *
     * @param name names the template in error messages (e.g. the checkpoint); may be null
     * @throws TemplateException when the text is not a template this interpreter can run
     */
    public static JinjaTemplate parse(String text, String name) {
        Objects.requireNonNull(text, "template text");
        Source source = new Source(name, text);
        return new JinjaTemplate(source, Parser.parse(source));
    }

    public static JinjaTemplate parse(String text) {
        return parse(text, null);
    }

    /**
     * Renders with these variables. Values may be null, Boolean, any Number, String, List, Map, arrays or Jackson
     * {@code JsonNode}s; they are copied, so the template cannot change them.
     *
     * @throws TemplateException when rendering fails (an undefined value used in arithmetic, a type error, a
     *                           {@code raise_exception(...)} call ...), naming the line and column
     */
    public String render(Map<String, ?> variables) {
        return Interpreter.render(source, nodes, variables);
    }

    /** The template's source text. */
    public String text() {
        return source.text();
    }
}
