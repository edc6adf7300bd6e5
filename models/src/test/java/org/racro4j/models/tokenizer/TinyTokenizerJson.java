package org.racro4j.models.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Small byte-level BPE tokenizer.json files for tests. */
final class TinyTokenizerJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private TinyTokenizerJson() {}

    /**
     * A GPT-2-style file (ByteLevel pre-tokenizer with its regex, no prefix space) over these tokens and merges,
     * plus a token for each of the 256 bytes that {@code vocab} lacks (ids after its highest), since a byte-level
     * vocabulary without every byte is refused.
     */
    static ObjectNode bpe(Map<String, Integer> vocab, String... merges) {
        Map<String, Integer> complete = new java.util.LinkedHashMap<>(vocab);
        int next = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        for (int b = 0; b < 256; b++) {
            if (complete.putIfAbsent(String.valueOf(ByteLevel.charOf(b)), next) == null) {
                next++;
            }
        }
        return bpeAsIs(complete, merges);
    }

    /** {@link #bpe} without completing the bytes: exactly these tokens. */
    static ObjectNode bpeAsIs(Map<String, Integer> vocab, String... merges) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        var m = model.putArray("merges");
        for (String merge : merges) {
            m.add(merge);
        }
        return root;
    }

    static Path write(Path dir, String name, Object json) {
        Path file = dir.resolve(name);
        try {
            JSON.writeValue(file.toFile(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
