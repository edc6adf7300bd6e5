package org.racro4j.training.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.racro4j.training.tasks.AnswerType;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

class AnswerVerifierTest {

    private static Verdict number(String response, String answer) {
        return AnswerVerifier.verify(response, answer, AnswerType.NUMBER, List.of());
    }

    private static void correct(Verdict verdict) {
        assertTrue(verdict.correct(), verdict.toString());
    }

    private static void wrong(Verdict verdict) {
        assertFalse(verdict.correct(), verdict.toString());
    }

    @Test
    void boxedAnswersWinAndTheLastOneCounts() {
        correct(number("so the count is 3, wait no: \\boxed{4}", "4"));
        correct(number("\\boxed{3} ... on reflection \\boxed{5}", "5"));
        wrong(number("\\boxed{5} ... on reflection \\boxed{3}", "5"));
        correct(number("first 2 then \\boxed{ 7 } then 9", "7"));
        correct(number("\\boxed{\\frac{3}{4}}", "0.75"));
        correct(number("\\boxed{-\\frac{1}{2}}", "-0.5"));
        correct(number("\\boxed{\\dfrac{\\frac{1}{2}}{4}}", "0.125"));
        correct(number("$\\boxed{12}$", "12"));
        correct(number("\\boxed{1,000}", "1000"));
        correct(number("\\boxed{\\text{seven}}", "7"));
        correct(AnswerVerifier.verify("\\boxed{\\text{Red}}", "red", AnswerType.WORD, List.of()));
        // an unterminated box is ignored, the marker is used instead
        correct(number("answer : 6 . \\boxed{7", "6"));
        // an empty box is skipped
        correct(number("\\boxed{8} then \\boxed{}", "8"));
    }

    @Test
    void answerMarkersInBothStyles() {
        correct(number("there are 3 red and 4 blue . answer : 12 .", "12"));
        correct(number("Answer: 12", "12"));
        correct(number("The final answer is 9.", "9"));
        correct(number("answer : 3.5.", "3.5"));
        correct(number("answer: -4", "-4"));
        correct(number("answer : seven .", "7"));
        correct(number("answer : 7 o'clock", "7"));
        correct(number("answer: 3 + 4 = 7", "7"));
        wrong(number("answer : 12 . the red bar is 7", "7"));
        correct(AnswerVerifier.verify("answer : yes , there are more", "yes", AnswerType.YES_NO, List.of()));
        correct(AnswerVerifier.verify("**Answer:** The red.", "red", AnswerType.WORD, List.of()));
        // the last marker with content wins
        correct(number("answer : 3 . hmm , recount . answer : 4 .", "4"));
    }

    @Test
    void lastNumberFallback() {
        correct(number("the red bar is 3 and the blue bar is 4 so together 7", "7"));
        wrong(number("the red bar is 3 and the blue bar is 4 so together 7", "3"));
        correct(number("it is -2", "-2"));
        correct(number("between 3-4 hours, about 4", "4"));
        correct(number("the result is 2.50", "2.5"));
        correct(number("roughly 0.333", "0.3333333"));
        wrong(number("no numbers here at all, sorry", "3"));
        assertEquals("no answer found", number("no numbers here at all, sorry", "3").reason());
        correct(number("x2 is the variable, the value is 5", "5"));
    }

    @Test
    void numberWordsAndTolerance() {
        correct(number("twelve", "12"));
        correct(number("Zero.", "0"));
        correct(number("7.0", "7"));
        wrong(number("7.1", "7"));
        correct(AnswerVerifier.verify("7.1", "7", AnswerType.NUMBER, List.of(), new Tolerance(0.02, 0)));
        correct(AnswerVerifier.verify("0.0000001", "0", AnswerType.NUMBER, List.of(), Tolerance.DEFAULT));
        wrong(AnswerVerifier.verify("0.001", "0", AnswerType.NUMBER, List.of(), Tolerance.DEFAULT));
        wrong(AnswerVerifier.verify("1000001", "1000000", AnswerType.NUMBER, List.of(), Tolerance.EXACT));
        correct(AnswerVerifier.verify("1000001", "1000000", AnswerType.NUMBER, List.of(), Tolerance.DEFAULT));
        correct(number("\\boxed{−3}", "-3"));
        correct(number("\\boxed{.5}", "0.5"));
        correct(number("\\boxed{50\\%}", "50"));
        correct(number("\\boxed{3/4}", "0.75"));
    }

    @Test
    void yesNoWithSynonyms() {
        correct(AnswerVerifier.verify("Yes.", "yes", AnswerType.YES_NO, List.of()));
        correct(AnswerVerifier.verify("\\boxed{True}", "yes", AnswerType.YES_NO, List.of()));
        correct(AnswerVerifier.verify("answer : false", "no", AnswerType.YES_NO, List.of()));
        correct(AnswerVerifier.verify("No, the red circle is below the square.", "no", AnswerType.YES_NO, List.of()));
        wrong(AnswerVerifier.verify("no", "yes", AnswerType.YES_NO, List.of()));
        wrong(AnswerVerifier.verify("maybe , it depends on the angle of the light", "yes", AnswerType.YES_NO, List.of()));
        wrong(AnswerVerifier.verify("\\boxed{3}", "yes", AnswerType.YES_NO, List.of()));
    }

    @Test
    void wordsCompareExactlyAfterNormalisation() {
        correct(AnswerVerifier.verify("\\boxed{RED}", "red", AnswerType.WORD, List.of()));
        correct(AnswerVerifier.verify("answer : the circle .", "circle", AnswerType.WORD, List.of()));
        correct(AnswerVerifier.verify("\"square\"", "square", AnswerType.WORD, List.of()));
        wrong(AnswerVerifier.verify("\\boxed{red bar}", "red", AnswerType.WORD, List.of()));
        wrong(AnswerVerifier.verify("\\boxed{circles}", "circle", AnswerType.WORD, List.of()));
        wrong(AnswerVerifier.verify("the shape next to the blue square is probably a red one", "red", AnswerType.WORD, List.of()));
    }

    @Test
    void choicesByLetterOrText() {
        List<String> choices = List.of("red", "blue", "green", "12");
        correct(AnswerVerifier.verify("\\boxed{B}", "blue", AnswerType.WORD, choices));
        correct(AnswerVerifier.verify("the answer is (B)", "B", AnswerType.WORD, choices));
        correct(AnswerVerifier.verify("I pick B) because it is blue", "B", AnswerType.WORD, choices));
        correct(AnswerVerifier.verify("Looking at it. C. green", "green", AnswerType.WORD, choices));
        correct(AnswerVerifier.verify("answer : blue", "B", AnswerType.WORD, choices));
        correct(AnswerVerifier.verify("answer : (b) blue", "(B)", AnswerType.WORD, choices));
        correct(AnswerVerifier.verify("answer : d", "12", AnswerType.NUMBER, choices));
        correct(AnswerVerifier.verify("\\boxed{12.0}", "D", AnswerType.NUMBER, choices));
        wrong(AnswerVerifier.verify("\\boxed{A}", "blue", AnswerType.WORD, choices));
        wrong(AnswerVerifier.verify("answer : (A) blue", "B", AnswerType.WORD, choices));
        // E names no choice: ignored, and the text has nothing else
        wrong(AnswerVerifier.verify("Option E. is my guess", "A", AnswerType.WORD, choices));
        // the last valid letter counts
        correct(AnswerVerifier.verify("not (A), not (C), it is (B).", "B", AnswerType.WORD, choices));
        assertEquals("chose A, expected B", AnswerVerifier.verify("\\boxed{A}", "B", AnswerType.WORD, choices)
                .reason().substring("boxed: ".length()));
    }

    @Test
    void verdictReportsExtractionAndReason() {
        Verdict verdict = number("so answer : 12 .", "12");
        assertEquals("12", verdict.extracted());
        assertTrue(verdict.reason().startsWith("answer_marker"), verdict.reason());
        Verdict wrongOne = number("\\boxed{11}", "12");
        assertEquals("boxed: expected 12, got 11", wrongOne.reason());
    }

    private static final List<String> NUMBER_WORDS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty");
    private static final List<String> COLOURS = List.of("red", "green", "blue", "yellow");
    private static final List<String> SHAPES = List.of("circle", "square", "triangle");
    private static final List<String> DIRECTIONS = List.of("up", "right", "down", "left");

    /**
     * Generated items of every category against responses the test writes from the item's answer: the same value in
     * other forms (decimals, number words, fractions, LaTeX, case, articles, yes/no synonyms, choice letters) must be
     * accepted, and near misses (off by one, a digit more, a sign, a half, a plural, another word of the same kind,
     * the opposite, a marked wrong answer after the right one) rejected. Which response is right is decided by the
     * test's own construction, not by the verifier's normalisation.
     */
    @Test
    void generatedItemsAcceptOtherFormsOfTheirAnswerAndRejectNearMisses() {
        int checked = 0;
        List<TaskItem> items = new TaskGenerator(5).generate(Split.TRAIN, 500);
        for (int i = 0; i < items.size(); i++) {
            TaskItem item = items.get(i);
            String a = item.answer();
            List<String> right = new ArrayList<>(List.of("answer : " + a + " .", "we reason . \\boxed{" + a + "}"));
            List<String> wrong = new ArrayList<>();
            switch (item.answerType()) {
                case NUMBER -> {
                    int n = Integer.parseInt(a);
                    right.addAll(List.of("answer : " + n + ".0 .", "Answer: " + NUMBER_WORDS.get(n) + ".", "\\boxed{\\frac{" + 2 * n + "}{2}}",
                            "$\\boxed{" + n + "}$", "the value is " + (n + 3) + " minus 3 , so " + n, "answer : " + n + " o'clock"));
                    wrong.addAll(List.of("answer : " + (n + 1) + " .", "answer : " + (n - 1) + " .",
                            "\\boxed{" + n + ".5}", "answer : " + NUMBER_WORDS.get(n + 1) + " .", "answer : " + (n + 1) + " . there are " + n));
                    if (n != 0) wrong.addAll(List.of("answer : -" + n + " .", "answer : " + n + "0 ."));
                    checked += choiceLetters(item, n, i % 4);
                }
                case YES_NO -> {
                    boolean yes = a.equals("yes");
                    right.addAll(List.of(yes ? "Yes." : "No.", yes ? "\\boxed{True}" : "\\boxed{False}", "answer : " + a + " , because of the picture"));
                    wrong.addAll(List.of(yes ? "answer : no ." : "answer : yes .", yes ? "\\boxed{false}" : "\\boxed{true}", "maybe , hard to say from here"));
                }
                case WORD -> {
                    List<String> kind = COLOURS.contains(a) ? COLOURS : SHAPES.contains(a) ? SHAPES : DIRECTIONS;
                    assertTrue(kind.contains(a), "a colour, a shape or a direction: " + a);
                    right.addAll(List.of("\\boxed{\\text{" + a.toUpperCase(java.util.Locale.ROOT) + "}}", "answer : The " + a + " .",
                            "**Answer:** \"" + a + "\""));
                    wrong.addAll(List.of("answer : " + a + "s .", "answer : dark " + a + " .", "\\boxed{" + kind.get((kind.indexOf(a) + 1) % kind.size()) + "}"));
                    if (a.equals("red")) wrong.add("answer : crimson .");   // no synonyms: words compare exactly
                }
            }
            for (String r : right) assertTrue(AnswerVerifier.verify(r, item).correct(), item.id() + " (" + a + "): '" + r + "' should be right");
            for (String r : wrong) assertFalse(AnswerVerifier.verify(r, item).correct(), item.id() + " (" + a + "): '" + r + "' should be wrong");
            checked += right.size() + wrong.size();
        }
        assertTrue(checked > 5000, "checked " + checked);
    }

    /**
     * The item's number as one of four choices, at position {@code at}; the choices' letters and texts are judged by
     * the position the test put the answer at. Returns the number of responses checked.
     */
    private static int choiceLetters(TaskItem item, int n, int at) {
        List<String> choices = new ArrayList<>(List.of(Integer.toString(n + 10), Integer.toString(n + 1), Integer.toString(n + 2)));
        choices.add(at, Integer.toString(n));
        int count = 0;
        for (int c = 0; c < 4; c++) {
            String letter = String.valueOf((char) ('A' + c));
            for (String response : List.of("answer : (" + letter + ") .", "\\boxed{" + letter + "}", "answer : " + choices.get(c) + " .")) {
                boolean expected = c == at;
                assertEquals(expected, AnswerVerifier.verify(response, item.answer(), AnswerType.NUMBER, choices).correct(),
                        item.id() + " choices " + choices + ": '" + response + "'");
                count++;
            }
        }
        return count;
    }
}
