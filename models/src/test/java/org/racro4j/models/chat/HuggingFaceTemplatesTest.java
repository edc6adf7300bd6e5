package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Real checkpoints' chat templates (Qwen2.5, Qwen3, Llama 3, DeepSeek-R1-Distill from tokenizer_config.json, and a
 * LLaVA-NeXT processor's chat_template.json with image parts; see ORIGIN.md beside them) rendering fixed
 * conversations (conversations.json). The expected text was rendered
 * once by Python's jinja2 3.1.2 with Hugging Face's apply_chat_template settings
 * ({@code models/src/test/python/chat_template_expectations.py templates}); one conversation also has the text
 * Hugging Face's own apply_chat_template printed for Qwen3-0.6B, as quoted in a public tutorial.
 */
class HuggingFaceTemplatesTest {

    /** Renders conversation {@code conversation} with the template of resource directory {@code checkpoint}. */
    static String render(String checkpoint, String conversation, boolean addGenerationPrompt) {
        ChatTemplate template = ChatTemplate.read(TestResources.path(checkpoint));
        assertFalse(template.isFallback(), checkpoint + " has its own template");
        JsonNode c = TestResources.json("conversations.json").path(conversation);
        List<Map<String, Object>> messages = new ArrayList<>();
        for (JsonNode m : c.path("messages")) {
            Map<String, Object> message = new LinkedHashMap<>();
            m.fields().forEachRemaining(e -> message.put(e.getKey(), e.getValue()));
            messages.add(message);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        c.path("kwargs").fields().forEachRemaining(e -> extra.put(e.getKey(), e.getValue()));
        return template.renderMessages(messages, addGenerationPrompt, extra);
    }

    static void assertRendered(String checkpoint, String conversation, boolean addGenerationPrompt, String expected) {
        assertEquals(expected, render(checkpoint, conversation, addGenerationPrompt));
    }

    /** The template refuses the conversation with raise_exception(message), as it did in jinja2. */
    static void assertRefused(String checkpoint, String conversation, boolean addGenerationPrompt, String message) {
        TemplateException e = assertThrows(TemplateException.class,
                                           () -> render(checkpoint, conversation, addGenerationPrompt));
        assertTrue(e.getMessage().endsWith("the template raised an exception: " + message), e.getMessage());
    }

    /**
     * Hugging Face's own output: Zerohertz/PyCon_KR_2025_Tutorial_vLLM, src/12_chat_template.py (commit 597489c),
     * prints {@code AutoProcessor.from_pretrained("Qwen/Qwen3-0.6B").apply_chat_template(messages, tokenize=False,
     * add_generation_prompt=True)} for this tool-calling conversation and quotes the result in a comment.
     */
    @Test
    void qwen3_matchesTheOutputHuggingFacePrinted() {
        assertRendered("qwen3", "tool_call_round", true,
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hello, PyCon Korea!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help you today?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Can you explain what PyCon Korea is?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "PyCon Korea is an annual Python programming conference held in South Korea. It brings together Python developers, enthusiasts, and community members to share knowledge, network, and learn about the latest developments in Python and related technologies.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What's the weather like in Seoul today?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "I'll help you check the weather in Seoul.\n"
            + "<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Seoul, South Korea\"}}\n"
            + "</tool_call><|im_end|>\n"
            + "<|im_start|>user\n"
            + "<tool_response>\n"
            + "The weather in Seoul today is sunny with a temperature of 22°C (72°F). There's a light breeze and clear skies.\n"
            + "</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Based on the weather information, Seoul is having a pleasant day today! It's sunny with a comfortable temperature of 22°C (72°F), light breeze, and clear skies. Perfect weather for outdoor activities!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Thanks! Can you help me with something else?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void messageRecordsRenderLikeDicts() {
        ChatTemplate qwen = ChatTemplate.read(TestResources.path("qwen2.5"));
        assertEquals(render("qwen2.5", "multi_turn", true),
                     qwen.render(List.of(Message.system("Be brief."), Message.user("Hi!"),
                                         Message.assistant("Hello! How can I help?"), Message.user("What is 2+2?")),
                                 true));
    }

    /** One parsed template shared by eight threads renders what it renders on one. */
    @Test
    void oneTemplateRendersTheSameFromManyThreads() throws Exception {
        String expected = render("qwen3", "tool_call_round", true);
        ChatTemplate shared = ChatTemplate.read(TestResources.path("qwen3"));
        JsonNode c = TestResources.json("conversations.json").path("tool_call_round");
        List<Map<String, Object>> messages = new ArrayList<>();
        for (JsonNode m : c.path("messages")) {
            Map<String, Object> message = new LinkedHashMap<>();
            m.fields().forEachRemaining(e -> message.put(e.getKey(), e.getValue()));
            messages.add(message);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int k = 0; k < 200; k++) {
                        if (!expected.equals(shared.renderMessages(messages, true, Map.of()))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> r : results) {
                assertTrue(r.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- generated by models/src/test/python/chat_template_expectations.py (jinja2 3.1.2) ----

    @Test
    void qwen2_5_systemUser_withGenerationPrompt() {
        assertRendered("qwen2.5", "system_user", true,
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What is 7 × 6? Answer with a number.<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen2_5_userOnly_withGenerationPrompt() {
        assertRendered("qwen2.5", "user_only", true,
            "<|im_start|>system\n"
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Describe the picture.\n"
            + "It has two lines.<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen2_5_multiTurn_withGenerationPrompt() {
        assertRendered("qwen2.5", "multi_turn", true,
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen2_5_multiTurnEndingAssistant() {
        assertRendered("qwen2.5", "multi_turn_ending_assistant", false,
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "4<|im_end|>\n");
    }

    @Test
    void qwen2_5_tools_withGenerationPrompt() {
        assertRendered("qwen2.5", "tools", true,
            "<|im_start|>system\n"
            + "Use tools when needed.\n"
            + "\n"
            + "# Tools\n"
            + "\n"
            + "You may call one or more functions to assist with the user query.\n"
            + "\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n"
            + "<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather — for a city (°C)\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"e.g. \\\"Zürich\\\"\"}}, \"required\": [\"city\"]}}}\n"
            + "</tools>\n"
            + "\n"
            + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n"
            + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
            + "</tool_call><|im_end|>\n"
            + "<|im_start|>user\n"
            + "Weather in Zürich?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen2_5_toolCallRound_withGenerationPrompt() {
        assertRendered("qwen2.5", "tool_call_round", true,
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hello, PyCon Korea!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help you today?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Can you explain what PyCon Korea is?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "PyCon Korea is an annual Python programming conference held in South Korea. It brings together Python developers, enthusiasts, and community members to share knowledge, network, and learn about the latest developments in Python and related technologies.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What's the weather like in Seoul today?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "I'll help you check the weather in Seoul.\n"
            + "<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": \"{\\\"location\\\": \\\"Seoul, South Korea\\\"}\"}\n"
            + "</tool_call><|im_end|>\n"
            + "<|im_start|>user\n"
            + "<tool_response>\n"
            + "The weather in Seoul today is sunny with a temperature of 22°C (72°F). There's a light breeze and clear skies.\n"
            + "</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Based on the weather information, Seoul is having a pleasant day today! It's sunny with a comfortable temperature of 22°C (72°F), light breeze, and clear skies. Perfect weather for outdoor activities!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Thanks! Can you help me with something else?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen2_5_unicode_withGenerationPrompt() {
        assertRendered("qwen2.5", "unicode", true,
            "<|im_start|>system\n"
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "café — 東京 🚀 \"quotes\" and \\boxed{x} {{ not a tag }} {% neither %}<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_systemUser_withGenerationPrompt() {
        assertRendered("qwen3", "system_user", true,
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What is 7 × 6? Answer with a number.<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_userOnly_withGenerationPrompt() {
        assertRendered("qwen3", "user_only", true,
            "<|im_start|>user\n"
            + "Describe the picture.\n"
            + "It has two lines.<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_multiTurn_withGenerationPrompt() {
        assertRendered("qwen3", "multi_turn", true,
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_multiTurnEndingAssistant() {
        assertRendered("qwen3", "multi_turn_ending_assistant", false,
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "<think>\n"
            + "\n"
            + "</think>\n"
            + "\n"
            + "4<|im_end|>\n");
    }

    @Test
    void qwen3_thinkHistory_withGenerationPrompt() {
        assertRendered("qwen3", "think_history", true,
            "<|im_start|>user\n"
            + "What is 1+1?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "It is 2.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "And 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_thinkLast() {
        assertRendered("qwen3", "think_last", false,
            "<|im_start|>user\n"
            + "What is 1+1?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "<think>\n"
            + "One plus one.\n"
            + "</think>\n"
            + "\n"
            + "It is 2.<|im_end|>\n");
    }

    @Test
    void qwen3_reasoningContent() {
        assertRendered("qwen3", "reasoning_content", false,
            "<|im_start|>user\n"
            + "What is 3+4?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "<think>\n"
            + "Three plus four is seven.\n"
            + "</think>\n"
            + "\n"
            + "7<|im_end|>\n");
    }

    @Test
    void qwen3_noThinking_withGenerationPrompt() {
        assertRendered("qwen3", "no_thinking", true,
            "<|im_start|>user\n"
            + "Answer quickly: 5-3?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "<think>\n"
            + "\n"
            + "</think>\n"
            + "\n");
    }

    @Test
    void qwen3_thinkingOn_withGenerationPrompt() {
        assertRendered("qwen3", "thinking_on", true,
            "<|im_start|>user\n"
            + "Answer quickly: 5-3?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_toolsNoSystem_withGenerationPrompt() {
        assertRendered("qwen3", "tools_no_system", true,
            "<|im_start|>system\n"
            + "# Tools\n"
            + "\n"
            + "You may call one or more functions to assist with the user query.\n"
            + "\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n"
            + "<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather — for a city (°C)\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"e.g. \\\"Zürich\\\"\"}}, \"required\": [\"city\"]}}}\n"
            + "</tools>\n"
            + "\n"
            + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n"
            + "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
            + "</tool_call><|im_end|>\n"
            + "<|im_start|>user\n"
            + "Weather in Zürich?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void qwen3_toolCallRound_withGenerationPrompt() {
        assertRendered("qwen3", "tool_call_round", true,
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hello, PyCon Korea!<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello! How can I help you today?<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Can you explain what PyCon Korea is?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "PyCon Korea is an annual Python programming conference held in South Korea. It brings together Python developers, enthusiasts, and community members to share knowledge, network, and learn about the latest developments in Python and related technologies.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "What's the weather like in Seoul today?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "I'll help you check the weather in Seoul.\n"
            + "<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Seoul, South Korea\"}}\n"
            + "</tool_call><|im_end|>\n"
            + "<|im_start|>user\n"
            + "<tool_response>\n"
            + "The weather in Seoul today is sunny with a temperature of 22°C (72°F). There's a light breeze and clear skies.\n"
            + "</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Based on the weather information, Seoul is having a pleasant day today! It's sunny with a comfortable temperature of 22°C (72°F), light breeze, and clear skies. Perfect weather for outdoor activities!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Thanks! Can you help me with something else?<|im_end|>\n"
            + "<|im_start|>assistant\n");
    }

    @Test
    void llama3_systemUser_withGenerationPrompt() {
        assertRendered("llama3", "system_user", true,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "What is 7 × 6? Answer with a number.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n");
    }

    @Test
    void llama3_userOnly_withGenerationPrompt() {
        assertRendered("llama3", "user_only", true,
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Describe the picture.\n"
            + "It has two lines.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n");
    }

    @Test
    void llama3_multiTurn_withGenerationPrompt() {
        assertRendered("llama3", "multi_turn", true,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "What is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n");
    }

    @Test
    void llama3_multiTurnEndingAssistant() {
        assertRendered("llama3", "multi_turn_ending_assistant", false,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello! How can I help?<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "What is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "4<|eot_id|>");
    }

    @Test
    void llama3_whitespace() {
        assertRendered("llama3", "whitespace", false,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "padded system<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "line one\n"
            + "\n"
            + "line two<|eot_id|>");
    }

    @Test
    void deepseek_r1_distill_systemUser_withGenerationPrompt() {
        assertRendered("deepseek-r1-distill", "system_user", true,
            "<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>What is 7 × 6? Answer with a number.<｜Assistant｜>");
    }

    @Test
    void deepseek_r1_distill_userOnly_withGenerationPrompt() {
        assertRendered("deepseek-r1-distill", "user_only", true,
            "<｜begin▁of▁sentence｜><｜User｜>Describe the picture.\n"
            + "It has two lines.<｜Assistant｜>");
    }

    @Test
    void deepseek_r1_distill_multiTurn_withGenerationPrompt() {
        assertRendered("deepseek-r1-distill", "multi_turn", true,
            "<｜begin▁of▁sentence｜>Be brief.<｜User｜>Hi!<｜Assistant｜>Hello! How can I help?<｜end▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜>");
    }

    @Test
    void deepseek_r1_distill_multiTurnEndingAssistant() {
        assertRendered("deepseek-r1-distill", "multi_turn_ending_assistant", false,
            "<｜begin▁of▁sentence｜>Be brief.<｜User｜>Hi!<｜Assistant｜>Hello! How can I help?<｜end▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜>4<｜end▁of▁sentence｜>");
    }

    @Test
    void deepseek_r1_distill_thinkHistory_withGenerationPrompt() {
        assertRendered("deepseek-r1-distill", "think_history", true,
            "<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜>\n"
            + "\n"
            + "It is 2.<｜end▁of▁sentence｜><｜User｜>And 2+2?<｜Assistant｜>");
    }

    @Test
    void deepseek_r1_distill_unicode_withGenerationPrompt() {
        assertRendered("deepseek-r1-distill", "unicode", true,
            "<｜begin▁of▁sentence｜><｜User｜>café — 東京 🚀 \"quotes\" and \\boxed{x} {{ not a tag }} {% neither %}<｜Assistant｜>");
    }

    @Test
    void llava_next_multimodal_withGenerationPrompt() {
        assertRendered("llava-next", "multimodal", true,
            "<<SYS>>\n"
            + "Describe images for a reasoner.\n"
            + "<</SYS>>\n"
            + "\n"
            + "[INST] <image>\n"
            + "Question: how many dots? Describe the image. [/INST]Six dots in two rows.</s>[INST] <image>\n"
            + "<image>\n"
            + "And these two? [/INST]");
    }

    @Test
    void llava_next_multimodal() {
        assertRendered("llava-next", "multimodal", false,
            "<<SYS>>\n"
            + "Describe images for a reasoner.\n"
            + "<</SYS>>\n"
            + "\n"
            + "[INST] <image>\n"
            + "Question: how many dots? Describe the image. [/INST]Six dots in two rows.</s>[INST] <image>\n"
            + "<image>\n"
            + "And these two? [/INST]");
    }

    @Test
    void llava_next_multimodalToolRole_withGenerationPrompt() {
        assertRefused("llava-next", "multimodal_tool_role", true, "Only user and assistant roles are supported!");
    }
}
