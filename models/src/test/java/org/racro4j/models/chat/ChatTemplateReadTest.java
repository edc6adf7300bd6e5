package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.models.tokenizer.TokenizerFormatException;

/** Where a checkpoint's template is found, which one is taken, and what a bad config says. */
class ChatTemplateReadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Message> CONVERSATION = List.of(Message.system("Be brief."), Message.user("Hi!"));

    @TempDir
    Path dir;

    private Path config(ObjectNode root) throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        Files.writeString(file, JSON.writeValueAsString(root));
        return file;
    }

    private static ObjectNode named(String... nameTemplatePairs) {
        ObjectNode root = JSON.createObjectNode();
        var list = root.putArray("chat_template");
        for (int i = 0; i < nameTemplatePairs.length; i += 2) {
            list.addObject().put("name", nameTemplatePairs[i]).put("template", nameTemplatePairs[i + 1]);
        }
        return root;
    }

    @Test
    void aNamedListGivesItsDefaultOrTheNamedEntry() throws IOException {
        config(named("tool_use", "T{{ messages|length }}", "default", "D{{ messages|length }}"));
        assertEquals("D2", ChatTemplate.read(dir).render(CONVERSATION, false));
        assertEquals("T2", ChatTemplate.read(dir, "tool_use").render(CONVERSATION, false));
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir, "rag"));
        assertTrue(e.getMessage().contains("has no chat template named \"rag\" (it has [tool_use, default])"),
                   e.getMessage());
        config(named("tool_use", "T"));
        e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir));
        assertTrue(e.getMessage().contains("has no chat template named \"default\""), e.getMessage());
    }

    @Test
    void aStringTemplateIsTheDefault() throws IOException {
        ObjectNode root = JSON.createObjectNode().put("chat_template", "{{ bos_token }}|{{ eos_token }}|{{ pad_token }}");
        root.putObject("bos_token").put("__type", "AddedToken").put("content", "<s>");
        root.put("eos_token", "</s>");
        root.putNull("pad_token");
        Path file = config(root);
        assertEquals("<s>|</s>|", ChatTemplate.read(file).render(CONVERSATION, false));
        assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), ChatTemplate.read(dir).specialTokens());
        assertEquals("<s>|</s>|", ChatTemplate.read(dir, "default").render(CONVERSATION, false));
        assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir, "tool_use"));
    }

    @Test
    void aChatTemplateJinjaFileWinsOverTheConfig() throws IOException {
        config(JSON.createObjectNode().put("chat_template", "from config").put("eos_token", "E"));
        Files.writeString(dir.resolve("chat_template.jinja"), "from file {{ eos_token }}\n");
        ChatTemplate t = ChatTemplate.read(dir);
        assertFalse(t.isFallback());
        assertEquals("from file E", t.render(CONVERSATION, false));
    }

    @Test
    void aProcessorsChatTemplateJsonComesAfterTheJinjaFileAndBeforeTheConfig() throws IOException {
        config(JSON.createObjectNode().put("chat_template", "from config"));
        Path processor = dir.resolve("chat_template.json");
        Files.writeString(processor, "{\"chat_template\": \"from processor {{ messages[1].content }}\"}");
        assertEquals("from processor Hi!", ChatTemplate.read(dir).render(CONVERSATION, false));
        Files.writeString(dir.resolve("chat_template.jinja"), "from jinja");
        assertEquals("from jinja", ChatTemplate.read(dir).render(CONVERSATION, false));
        Files.delete(dir.resolve("chat_template.jinja"));
        Files.writeString(processor, "{\"chat_template\": [1]}");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir));
        assertTrue(e.getMessage().startsWith(processor + ": needs a string \"chat_template\""), e.getMessage());
    }

    /** The fallback is plain ChatML, which is what Qwen2.5's own template writes when there are no tools. */
    @Test
    void withoutATemplateTheFallbackIsChatMl() throws IOException {
        config(JSON.createObjectNode().put("eos_token", "<|im_end|>"));
        ChatTemplate fallback = ChatTemplate.read(dir);
        assertTrue(fallback.isFallback());
        ChatTemplate qwen = ChatTemplate.read(TestResources.path("qwen2.5"));
        List<Message> turns = List.of(Message.system("S"), Message.user("U1"), Message.assistant("A1"),
                                      Message.user("U2 has\nlines"));
        for (boolean generation : new boolean[] {false, true}) {
            assertEquals(qwen.render(turns, generation), fallback.render(turns, generation));
        }
        assertTrue(ChatTemplate.read(Files.createDirectory(dir.resolve("empty"))).isFallback());
        assertTrue(ChatTemplate.chatMl().isFallback());
        assertFalse(qwen.isFallback());
    }

    @Test
    void badConfigsNameTheFileAndTheProblem() throws IOException {
        Path file = dir.resolve("tokenizer_config.json");
        Files.writeString(file, "{\"chat_template\": 7}");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir));
        assertTrue(e.getMessage().startsWith(file + ": \"chat_template\" must be a string or a list"), e.getMessage());

        Files.writeString(file, "{\"chat_template\": [{\"name\": \"default\"}]}");
        e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir));
        assertTrue(e.getMessage().contains("needs a string \"name\" and a string \"template\""), e.getMessage());

        Files.writeString(file, "{\"chat_template\": \"x\",");
        e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());

        Files.writeString(file, "[1]");
        e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(dir));
        assertTrue(e.getMessage().contains("the top level is not a JSON object"), e.getMessage());

        Files.writeString(file, "{\"chat_template\": \"ok\\n{% if x %}\"}");
        TemplateException t = assertThrows(TemplateException.class, () -> ChatTemplate.read(dir));
        assertTrue(t.getMessage().startsWith(file + " chat template, line 2, column 4: '{% if %}' is never closed"),
                   t.getMessage());

        Path absent = dir.resolve("no-such-checkpoint");
        e = assertThrows(TokenizerFormatException.class, () -> ChatTemplate.read(absent));
        assertTrue(e.getMessage().startsWith(absent + ": does not exist"), e.getMessage());
    }

    @Test
    void extraVariablesReachTheTemplateAndTheDefaultsAreHuggingFaces() {
        ChatTemplate t = ChatTemplate.of("{{ tools is none }} {{ documents is none }} {{ bos_token is defined }} "
                                         + "{{ add_generation_prompt }} {{ enable_thinking }}", Map.of());
        assertEquals("True True False True False", t.render(List.of(), true, Map.of("enable_thinking", false)));
        assertEquals("False True False False ", t.render(List.of(), false, Map.of("tools", List.of(Map.of()))));
    }
}
