package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Statements, whitespace control and Hugging Face's trim_blocks/lstrip_blocks against Python's Jinja2: each
 * snippet's expected output (or the fact that it fails) was produced by jinja2 with Hugging Face's settings
 * ({@code models/src/test/python/chat_template_expectations.py snippets}) and stored in snippets.json.
 */
class JinjaSnippetsTest {

    @TestFactory
    List<DynamicTest> snippetsRenderAsJinja2RendersThem() {
        JsonNode root = TestResources.json("snippets.json");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode s : root.path("snippets")) {
            String name = s.path("name").asText();
            String template = s.path("template").asText();
            Map<String, Object> context = new LinkedHashMap<>();
            s.path("context").fields().forEachRemaining(e -> context.put(e.getKey(), e.getValue()));
            tests.add(DynamicTest.dynamicTest(name, () -> {
                if (s.has("error")) {
                    assertThrows(TemplateException.class, () -> JinjaTemplate.parse(template, name).render(context),
                                 "jinja2 raised " + s.path("error").asText());
                } else {
                    assertEquals(s.path("out").asText(), JinjaTemplate.parse(template, name).render(context));
                }
            }));
        }
        return tests;
    }
}
