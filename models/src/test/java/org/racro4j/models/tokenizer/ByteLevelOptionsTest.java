package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GPT-2's vocabulary under the options its file does not exercise: prefix space, normalized added tokens, roles. */
class ByteLevelOptionsTest {
    @TempDir
    Path dir;

    ObjectNode gpt2() throws IOException {
        return (ObjectNode) TinyTokenizerJson.JSON.readTree(Gpt2TokenizerTest.gpt2Json().toFile());
    }

    Tokenizer load(ObjectNode json) {
        return Tokenizers.load(TinyTokenizerJson.write(dir, "tokenizer.json", json));
    }

    @Test
    void addPrefixSpaceMakesTheFirstWordLikeTheOthers() throws IOException {
        ObjectNode json = gpt2();
        ((ObjectNode) json.get("pre_tokenizer")).put("add_prefix_space", true);
        Tokenizer t = load(json);
        // "Hello world" now encodes as " Hello world" does without the option (ids from cases.json).
        assertArrayEquals(new int[] {18435, 995}, t.encode("Hello world"));
        assertArrayEquals(new int[] {18435, 995}, t.encode(" Hello world"), "no second space is added");
        // Hugging Face applies it to every piece the added tokens leave, so "b" after <|endoftext|> gets one too.
        assertArrayEquals(new int[] {t.tokenId("Ġa"), 50256, t.tokenId("Ġb")}, t.encode("a<|endoftext|>b"));
        // The decoder keeps the space it stands for.
        assertEquals(" Hello world", t.decode(t.encode("Hello world")));
    }

    @Test
    void normalizedAddedTokensMatchTheNormalizedText() throws IOException {
        ObjectNode json = gpt2();
        json.putObject("normalizer").put("type", "NFC");
        var added = json.withArray("added_tokens");
        // A token written decomposed but normalized=true: it is looked for as NFC "café".
        added.addObject().put("id", 50257).put("content", "cafe\u0301").put("normalized", true).put("special", false);
        // The same spelling with normalized=false is only looked for, as is, in the raw text.
        added.addObject().put("id", 50258).put("content", "the\u0301").put("normalized", false).put("special", false);
        Tokenizer t = load(json);

        assertArrayEquals(new int[] {t.tokenId("a"), 50257}, t.encode("acaf\u00e9"));
        assertArrayEquals(new int[] {t.tokenId("a"), 50257}, t.encode("acafe\u0301"));
        assertArrayEquals(new int[] {t.tokenId("a"), 50258}, t.encode("athe\u0301"));
        // Composed, it is not the raw token's spelling: plain GPT-2 BPE, as without any added tokens.
        assertArrayEquals(Tokenizers.load(Gpt2TokenizerTest.gpt2Json()).encode("ath\u00e9"), t.encode("ath\u00e9"));
        assertEquals("acafe\u0301", t.decode(t.encode("acafe\u0301")), "decode gives the token's own content");
    }

    @Test
    void tokenizerConfigBesideTheFileNamesTheRoles() throws IOException {
        ObjectNode json = gpt2();
        json.withArray("added_tokens").addObject().put("id", 50257).put("content", "<|im_end|>").put("special", true)
                .put("normalized", false);
        Path file = TinyTokenizerJson.write(dir, "tokenizer.json", json);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": null, \"eos_token\": \"<|im_end|>\", \"pad_token\": {\"content\": \"<|endoftext|>\"}}");
        SpecialTokens s = Tokenizers.load(file).specialTokens();
        assertEquals(50257, s.eos());
        assertEquals(50256, s.pad());
        assertNull(s.bos());
    }
}
