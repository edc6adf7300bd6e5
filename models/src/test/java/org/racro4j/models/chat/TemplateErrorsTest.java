package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** A malformed template, or one that fails while rendering, is refused with its name, line, column and problem. */
class TemplateErrorsTest {

    static TemplateException parseError(String template) {
        return assertThrows(TemplateException.class, () -> JinjaTemplate.parse(template, "t"));
    }

    static TemplateException renderError(String template, Map<String, ?> variables) {
        JinjaTemplate t = JinjaTemplate.parse(template, "t");
        return assertThrows(TemplateException.class, () -> t.render(variables));
    }

    static void assertAt(TemplateException e, int line, int column, String problem) {
        assertTrue(e.getMessage().startsWith("t chat template, line " + line + ", column " + column + ": "),
                   e.getMessage());
        assertTrue(e.getMessage().contains(problem), () -> "\"" + problem + "\" missing from: " + e.getMessage());
        assertEquals(line, e.line());
        assertEquals(column, e.column());
    }

    @Test
    void unclosedBlocks() {
        assertAt(parseError("ab\n{% if x %}abc"), 2, 4, "'{% if %}' is never closed with '{% endif %}'");
        assertAt(parseError("{% for m in messages %}{{ m }}"), 1, 4, "'{% for %}' is never closed with '{% endfor %}'");
        assertAt(parseError("{% macro f() %}x"), 1, 4, "'{% macro %}' is never closed");
        assertAt(parseError("{% set x %}x"), 1, 4, "'{% set %}' is never closed");
        assertAt(parseError("x {{ a "), 1, 3, "'{{' is never closed with '}}'");
        assertAt(parseError("x {% if a "), 1, 3, "'{%' is never closed with '%}'");
        assertAt(parseError("{# note"), 1, 1, "comment '{#' is never closed");
        assertAt(parseError("{% raw %}x"), 1, 1, "'{% raw %}' is never closed");
        assertAt(parseError("{{ 'abc }}"), 1, 4, "string literal is never closed");
    }

    @Test
    void strayAndUnknownStatements() {
        assertAt(parseError("a {% endif %}"), 1, 6, "unexpected '{% endif %}' with no block to close");
        assertAt(parseError("{% if a %}{% endfor %}"), 1, 14, "unexpected '{% endfor %}'");
        assertAt(parseError("{% include 'x.jinja' %}"), 1, 4, "unknown statement 'include'");
        assertAt(parseError("{% for x in xs recursive %}{% endfor %}"), 1, 16, "recursive loops are not supported");
        assertAt(parseError("{% %}"), 1, 4, "expected a statement name after '{%'");
        assertAt(parseError("{% if 1 %}{% break %}{% endif %}"), 1, 14, "'{% break %}' outside a loop");
        assertAt(parseError("{% for x in y %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}"), 1, 35,
                 "'{% continue %}' outside a loop");
    }

    @Test
    void badExpressions() {
        assertAt(parseError("{{ 1 + }}"), 1, 8, "expected an expression, found '}}'");
        assertAt(parseError("{{ x | nosuchfilter }}"), 1, 8, "unknown filter 'nosuchfilter'");
        assertAt(parseError("{{ x is nosuchtest }}"), 1, 9, "unknown test 'nosuchtest'");
        assertAt(parseError("{{ f(a=1, 2) }}"), 1, 11, "a positional argument follows a keyword argument");
        assertAt(parseError("{{ x $ y }}"), 1, 6, "unexpected character '$'");
        assertAt(parseError("{% set = 1 %}"), 1, 8, "expected a variable name, found '='");
        assertAt(parseError("{{ '\\u12' }}"), 1, 5, "truncated \\u escape");
        assertAt(parseError("{{ x is defined is string }}"), 1, 17, "'is' cannot follow a test name");
    }

    @Test
    void renderingErrorsNameTheInnermostExpression() {
        assertAt(renderError("line one\n  {{ 'a' ~ nope.attr }}", Map.of()), 2, 16, "'nope' is undefined");
        assertAt(renderError("{{ m.content + 1 }}", Map.of("m", Map.of("content", "x"))), 1, 14,
                 "can only concatenate str (not \"int\") to str");
        assertAt(renderError("{{ m.missing + 'x' }}", Map.of("m", Map.of())), 1, 14,
                 "'dict object' has no attribute 'missing'");
        assertAt(renderError("{% for x in 5 %}{% endfor %}", Map.of()), 1, 13, "'int' object is not iterable");
        assertAt(renderError("{% set d = {} %}{% set d.x = 1 %}", Map.of()), 1, 20,
                 "only namespace() objects take attribute assignments");
        assertAt(renderError("{{ 1 // 0 }}", Map.of()), 1, 6, "integer division or modulo by zero");
        assertAt(renderError("{{ 'a' < 1 }}", Map.of()), 1, 4, "'<' not supported between instances of 'str' and 'int'");
        assertAt(renderError("{{ '%s' % 1 }}", Map.of()), 1, 9, "printf-style '%' formatting of strings is not supported");
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() {
        String template = "{%- for m in messages %}\n{%- if m.role == 'tool' %}\n"
                          + "{{- raise_exception('Only user and assistant roles are supported!') }}\n"
                          + "{%- endif %}\n{%- endfor %}";
        TemplateException e = renderError(template, Map.of("messages", java.util.List.of(Map.of("role", "tool"))));
        assertAt(e, 3, 5, "the template raised an exception: Only user and assistant roles are supported!");
    }

    @Test
    void aTemplateInACheckpointIsNamedByItsFile() {
        TemplateException e = assertThrows(TemplateException.class,
                                           () -> ChatTemplate.of("{% if %}", Map.of()).render(java.util.List.of(), true));
        assertTrue(e.getMessage().startsWith("chat template, line 1, column 7: expected an expression"), e.getMessage());
    }
}
