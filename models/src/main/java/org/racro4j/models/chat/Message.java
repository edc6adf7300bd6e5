package org.racro4j.models.chat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One turn of a conversation as chat templates read it: {@code {"role": ..., "content": ...}}. The text between
 * the roles is plain text; each model's tokenizer reads the rendered conversation.
 *
 * @param role    "system", "user", "assistant" (or "tool")
 * @param content the text; null is Python's None (templates test {@code message.content is none})
 */
public record Message(String role, String content) {

    public Message {
        Objects.requireNonNull(role, "role");
    }

    public static Message system(String content) {
        return new Message("system", content);
    }

    public static Message user(String content) {
        return new Message("user", content);
    }

    public static Message assistant(String content) {
        return new Message("assistant", content);
    }

    /** The dict a template sees. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
