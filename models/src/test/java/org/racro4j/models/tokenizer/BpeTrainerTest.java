package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Merges learned from a corpus: the first is the corpus's most frequent pair of bytes within a word (counted here
 * independently), the written tokenizer.json is read back by racro4j's own BPE reader, encodes the corpus in fewer
 * tokens than bytes, and decodes any text (other scripts, emoji, controls) to itself.
 */
class BpeTrainerTest {
    @TempDir
    Path tmp;

    static final List<String> CORPUS = List.of("how many red circles are there ?", "there are two red circles and one blue square .",
            "what color is the square ?", "the square is blue .", "the arrow points left , the clock shows seven .");

    @Test
    void theFirstMergeIsTheMostFrequentPairWithinWords() {
        Map<String, Integer> counts = new HashMap<>();
        for (String line : CORPUS) {
            // GPT-2 pre-tokens of this corpus: each word with the space before it, and each run of punctuation likewise
            for (String word : line.split("(?= )")) {
                byte[] b = word.getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i + 1 < b.length; i++) {
                    counts.merge(ByteLevel.charOf(b[i]) + " " + ByteLevel.charOf(b[i + 1]), 1, Integer::sum);
                }
            }
        }
        int max = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        String expected = counts.entrySet().stream().filter(e -> e.getValue() == max).map(Map.Entry::getKey).sorted().findFirst().orElseThrow();
        assertEquals(expected, BpeTrainer.learn(CORPUS, 1).merges().get(0));
    }

    @Test
    void theWrittenTokenizerReadsBackCompressesItsCorpusAndRoundTripsAnyText() {
        BpeTrainer.Learned learned = BpeTrainer.learn(CORPUS, 60);
        assertEquals(60, learned.merges().size());
        assertEquals(256 + 60, learned.vocab().size());
        Path file = TinyTokenizerJson.write(tmp, "tokenizer.json", BpeTrainer.tokenizerJson(learned, List.of("<|endoftext|>", "<|im_end|>")));
        Tokenizer tok = Tokenizers.load(file);
        assertEquals(256 + 60 + 2, tok.vocabSize());
        int tokens = 0;
        int bytes = 0;
        for (String line : CORPUS) {
            int[] ids = tok.encode(line);
            assertEquals(line, tok.decode(ids));
            tokens += ids.length;
            bytes += line.getBytes(StandardCharsets.UTF_8).length;
        }
        assertTrue(tokens < bytes / 2, tokens + " tokens for " + bytes + " bytes");
        int end = tok.specialTokens().id("<|im_end|>");
        int[] withSpecial = tok.encode("red<|im_end|>");
        assertEquals(end, withSpecial[withSpecial.length - 1]);
        Random r = new Random(7);
        for (int n = 0; n < 200; n++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(30);
            for (int i = 0; i < len; i++) {
                int kind = r.nextInt(4);
                int cp = switch (kind) {
                    case 0 -> 'a' + r.nextInt(26);
                    case 1 -> ' ';
                    case 2 -> 0x400 + r.nextInt(0x100);      // Cyrillic
                    default -> 0x1F600 + r.nextInt(0x40);    // emoji, 4 UTF-8 bytes
                };
                sb.appendCodePoint(cp);
            }
            String text = sb.toString();
            assertEquals(text, tok.decode(tok.encode(text)), text);
        }
    }

    @Test
    void aCorpusWithoutPairsStopsEarly() {
        // "abc" has two pairs to merge, then none: two merges of the ten asked for
        assertEquals(List.of("a b", "ab c"), BpeTrainer.learn(List.of("abc"), 10).merges());
    }
}
