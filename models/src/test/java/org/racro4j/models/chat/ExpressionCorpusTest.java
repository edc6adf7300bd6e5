package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * 750 random expressions (operators with and without parentheses, filters, tests, methods, slices, undefined
 * values) evaluated by Python's Jinja2 with Hugging Face's settings and stored with their printed results in
 * expressions.json (about a third are errors in Jinja2 — type errors, undefined values in arithmetic, division
 * by zero — which must be errors here too). Generated once by
 * {@code models/src/test/python/chat_template_expectations.py expressions}, seed 20261206.
 */
class ExpressionCorpusTest {

    @Test
    void everyExpressionPrintsWhatJinja2Prints() {
        JsonNode root = TestResources.json("expressions.json");
        Map<String, Object> context = new LinkedHashMap<>();
        root.path("context").fields().forEachRemaining(e -> context.put(e.getKey(), e.getValue()));
        List<String> mismatches = new ArrayList<>();
        int cases = 0;
        int errors = 0;
        for (JsonNode c : root.path("cases")) {
            cases++;
            String expr = c.path("expr").asText();
            String got;
            try {
                got = JinjaTemplate.parse("{{ " + expr + " }}").render(context);
            } catch (TemplateException e) {
                got = null;
                if (c.has("error")) {
                    errors++;
                    continue;
                }
                mismatches.add(expr + "  ->  refused (" + e.getMessage() + "), jinja2 printed " + c.path("out"));
                continue;
            }
            if (c.has("error")) {
                mismatches.add(expr + "  ->  printed \"" + got + "\", jinja2 raised " + c.path("error").asText());
            } else if (!got.equals(c.path("out").asText())) {
                mismatches.add(expr + "  ->  printed \"" + got + "\", jinja2 printed " + c.path("out"));
            }
        }
        assertTrue(cases >= 700 && errors >= 200, "corpus too small: " + cases + " cases, " + errors + " errors");
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + cases + " differ:\n"
                                         + String.join("\n", mismatches.subList(0, Math.min(40, mismatches.size()))));
    }
}
