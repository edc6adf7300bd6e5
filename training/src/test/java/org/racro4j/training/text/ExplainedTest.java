package org.racro4j.training.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class ExplainedTest {
    @Test
    void evidenceBeforeTheMarkerAnswerAfterIt() {
        String text = "the green cell is at row 1 column 2 . the red cell is at row 3 column 2 . answer : 2";
        assertEquals(new Explained("the green cell is at row 1 column 2 . the red cell is at row 3 column 2 .", "2", 1),
                Explained.parse(text));
    }

    @Test
    void edgeCases() {
        // no marker: all evidence, no answer
        assertEquals(new Explained("red circle .", "", 0), Explained.parse("  red circle .  "));
        assertEquals(new Explained("", "", 0), Explained.parse(""));
        // a marker with nothing around it
        assertEquals(new Explained("", "", 1), Explained.parse("answer :"));
        assertEquals(new Explained("", "3", 1), Explained.parse("answer : 3"));
        // several markers: evidence up to the first, answer after the last
        assertEquals(new Explained("a .", "5", 3), Explained.parse("a . answer : 3 answer : 4 answer : 5"));
        // "answer" and ":" only count as a marker when adjacent, and "answer:" glued is not one
        assertEquals(new Explained("answer is : 2 answer: 3", "", 0), Explained.parse("answer is : 2 answer: 3"));
        // white space of any kind separates words; the parts come back single-spaced
        assertEquals(new Explained("a b .", "top left", 1), Explained.parse("a\tb \n .  answer\n:   top \t left \n"));
    }

    @Test
    void ofWritesWhatParseReads() {
        assertEquals("a b . answer : 7", Explained.of("  a b . ", " 7 "));
        assertEquals("answer : 7", Explained.of("  ", "7"), "no evidence: no leading space");
        assertEquals(new Explained("a b .", "7", 1), Explained.parse(Explained.of("a b .", "7")));
    }

    /**
     * Random texts built as segment, marker, segment, ..., marker, segment, where segments never hold "answer" then
     * ":" next to each other: by construction the evidence is the first segment, the answer the last, the marker count
     * the number of markers put in.
     */
    @Test
    void randomTextsWithKnownParts() {
        String[] vocab = {"red", "circle", ".", "answer", ":", "3", "top", "left", "is", ","};
        String[] spaces = {" ", "  ", "\n", "\t", " \n "};
        for (long seed = 0; seed < 300; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            int markers = random.nextInt(4);
            List<List<String>> segments = new ArrayList<>();
            for (int s = 0; s <= markers; s++) {
                List<String> words = new ArrayList<>();
                int n = random.nextInt(6);
                for (int w = 0; w < n; w++) {
                    String word = vocab[random.nextInt(vocab.length)];
                    if (word.equals(":") && !words.isEmpty() && words.get(words.size() - 1).equals("answer")) word = "x";
                    words.add(word);
                }
                segments.add(words);
            }
            List<String> all = new ArrayList<>();
            for (int s = 0; s <= markers; s++) {
                if (s > 0) {
                    all.add("answer");
                    all.add(":");
                }
                // a segment starting with ":" after a marker gives "answer : :", still one marker
                all.addAll(segments.get(s));
            }
            StringBuilder text = new StringBuilder(spaces[random.nextInt(spaces.length)]);
            for (String word : all) text.append(word).append(spaces[random.nextInt(spaces.length)]);
            Explained e = Explained.parse(text.toString());
            if (markers == 0) {
                assertEquals(new Explained(String.join(" ", segments.get(0)), "", 0), e, text.toString());
            } else {
                assertEquals(new Explained(String.join(" ", segments.get(0)), String.join(" ", segments.get(markers)), markers), e,
                        text.toString());
            }
        }
    }
}
