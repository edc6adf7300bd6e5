package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.io.FuzzRuns;
import org.racro4j.models.tokenizer.TokenizerFormatException;

/**
 * Fuzzes the template parser and interpreter: random text made of template syntax, and the four real templates
 * with one to four random edits (a character deleted, duplicated or replaced by a piece of syntax). Every input
 * either renders the test conversation to a string or is refused with a {@link TemplateException}; nothing else
 * escapes (no index or class-cast exception, no stack overflow, no hang: each try must finish within 10 s). A
 * tokenizer_config.json whose chat_template is replaced by a random JSON value is refused with a
 * {@link TokenizerFormatException} or a {@link TemplateException}, or read.
 */
class ChatTemplateFuzzTest {
    private static final String[] PIECES = {
        "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", "+%}", "{%+", " if ", " for ", " in ", " else ",
        " endif ", " endfor ", " set ", " = ", "elif", "endset", "macro", "endmacro", "raw", "endraw", "(", ")", "[",
        "]", "{", "}", ",", ".", ":", "|", "'", "\"", "\\", "~", "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<",
        ">=", " and ", " or ", " not ", " is ", "defined", "none", "length", "tojson", "trim", "loop", "loop.index0",
        "messages", "message", "message.content", "ns", "namespace(", "ns.x", "x", "1", "0", "-1", "2.5", "'a'",
        "\n", " ", "  ", "\t", "é", "🙂", "raise_exception(", "[::-1]", "[1:]", "range(", "break", "continue"};

    private static final List<Message> CONVERSATION = List.of(
        Message.system("sys"), Message.user("<think>q</think>u1"), Message.assistant("<think>r</think>\n\na1"),
        Message.user("u2"));

    @TempDir
    Path dir;

    /** Renders or is refused with a TemplateException, and finishes in time. */
    private static void renderOrRefuse(String template) throws Exception {
        long start = System.nanoTime();
        try {
            ChatTemplate.of(template, Map.of("bos_token", "<s>")).render(CONVERSATION, true, Map.of("x", 3));
        } catch (TemplateException expected) {
            assertTrue(expected.line() >= 1 && expected.column() >= 1, expected.getMessage());
        }
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "took over 10 s: " + template);
    }

    @Test
    void randomSyntaxRendersOrIsRefused() {
        FuzzRuns.run("random template syntax", r -> {
            StringBuilder t = new StringBuilder();
            for (int n = r.nextInt(40); n > 0; n--) {
                t.append(PIECES[r.nextInt(PIECES.length)]);
            }
            renderOrRefuse(t.toString());
        });
    }

    @Test
    void editedRealTemplatesRenderOrAreRefused() {
        List<String> templates = new ArrayList<>();
        for (String name : new String[] {"qwen2.5", "qwen3", "llama3", "deepseek-r1-distill"}) {
            templates.add(ChatTemplate.read(TestResources.path(name)).text());
        }
        FuzzRuns.run("edited real templates", r -> {
            StringBuilder t = new StringBuilder(templates.get(r.nextInt(templates.size())));
            for (int edits = 1 + r.nextInt(4); edits > 0; edits--) {
                edit(t, r);
            }
            renderOrRefuse(t.toString());
        });
    }

    private static void edit(StringBuilder t, SplittableRandom r) {
        int at = r.nextInt(t.length());
        switch (r.nextInt(3)) {
            case 0 -> t.deleteCharAt(at);
            case 1 -> t.insert(at, t.charAt(at));
            default -> t.replace(at, Math.min(t.length(), at + 1 + r.nextInt(3)), PIECES[r.nextInt(PIECES.length)]);
        }
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() throws Exception {
        renderOrRefuse("{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}");
        renderOrRefuse("{{ " + "not ".repeat(5000) + "1 }}");
        renderOrRefuse("{{ " + "-".repeat(5000) + "1 }}");
        renderOrRefuse("{% if 1 %}".repeat(3000) + "{% endif %}".repeat(3000));
        renderOrRefuse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
        renderOrRefuse("{{ 'x' * 1000000000 }}{{ 1 ** 1000000000000 }}{{ 'a'|indent(100000000000) }}");
        renderOrRefuse("{% for i in range(1000000000) %}{% endfor %}");
    }

    @Test
    void aConfigWithAnyChatTemplateValueIsReadOrRefused() {
        ObjectMapper json = new ObjectMapper();
        FuzzRuns.run("chat_template values", r -> {
            ObjectNode root = json.createObjectNode();
            switch (r.nextInt(6)) {
                case 0 -> root.put("chat_template", r.nextInt());
                case 1 -> root.putNull("chat_template");
                case 2 -> root.putArray("chat_template").add(r.nextInt(3)).addObject().put("name", "default");
                case 3 -> root.putObject("chat_template").put("template", "x");
                case 4 -> root.putArray("chat_template").addObject().put("name", FuzzRuns.oneOf(r, "default", "x", ""))
                              .put("template", PIECES[r.nextInt(PIECES.length)]);
                default -> root.put("chat_template", PIECES[r.nextInt(PIECES.length)] + PIECES[r.nextInt(PIECES.length)]);
            }
            if (r.nextBoolean()) {
                root.put("bos_token", r.nextInt());
            }
            Path file = dir.resolve("tokenizer_config.json");
            try {
                Files.write(file, json.writeValueAsBytes(root));
                ChatTemplate.read(dir).render(CONVERSATION, r.nextBoolean());
            } catch (TokenizerFormatException e) {
                assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            } catch (TemplateException expected) {
                // a template that does not parse or render
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }
}
