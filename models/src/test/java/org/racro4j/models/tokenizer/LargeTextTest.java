package org.racro4j.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * About 200 KB of mixed text through both layouts: it round-trips, and documents joined by
 * {@code <|endoftext|>} encode as the documents one by one (so the word cache hands out nothing stale).
 * No timing is asserted; this only keeps a slow encoder from going unnoticed in the suite's run time.
 */
class LargeTextTest {
    @TempDir
    Path dir;

    static List<String> documents() {
        String[] sentences = {
            "The quick brown fox jumps over the lazy dog.", "It's 3:45pm and we've got 1,234 items left!",
            "Grüße aus Köln — naïve café, déjà vu.", "нещо на Български и русский текст.", "我想在apple工作1314151天～",
            "🚀 launch 😶‍🌫️ fog ✅ done 🦙🦙", "    indented code();\n\treturn x + y;\n", "\n\n\nblank lines\r\n",
            "URL: https://example.com/a/b?c=d&e=f#g", "base64:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
            "कान्तेपुर ১২৩ ٣٤٥ Ⅻ ½", "trailing spaces   ", "ALL CAPS DON'T WON'T I'M", "\u00a0nbsp\u3000ideographic",
        };
        Random random = new Random(2024);
        List<String> docs = new ArrayList<>();
        int total = 0;
        while (total < 200_000) {
            StringBuilder doc = new StringBuilder();
            int n = 5 + random.nextInt(30);
            for (int i = 0; i < n; i++) {
                doc.append(sentences[random.nextInt(sentences.length)]);
                doc.append(random.nextInt(5) == 0 ? "\n" : " ");
                if (random.nextInt(4) == 0) {
                    doc.append(random.nextInt(1_000_000)).append(' ');
                }
            }
            docs.add(doc.toString());
            total += doc.length();
        }
        return docs;
    }

    static void check(Tokenizer tokenizer, int separator) {
        List<String> docs = documents();
        String text = String.join("<|endoftext|>", docs);
        int[] ids = tokenizer.encode(text);
        assertEquals(text, tokenizer.decode(ids));
        for (int id : ids) {
            assertTrue(id >= 0 && id < tokenizer.vocabSize());
        }
        IntList oneByOne = new IntList();
        for (int i = 0; i < docs.size(); i++) {
            if (i > 0) {
                oneByOne.add(separator);
            }
            oneByOne.addAll(tokenizer.encode(docs.get(i)));
        }
        assertArrayEquals(oneByOne.toArray(), ids);
    }

    @Test
    void gpt2() {
        check(Tokenizers.load(Gpt2TokenizerTest.gpt2Json()), 50256);
    }

    @Test
    void qwen2Layout() throws Exception {
        check(Tokenizers.load(Qwen2LayoutTest.writeQwen2Layout(dir)), Qwen2LayoutTest.END_OF_TEXT);
    }
}
