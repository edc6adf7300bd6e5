package org.racro4j.training.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void generatedItemsVerifyAgainstTheirOwnAnswers() {
        for (TaskItem item : new TaskGenerator(5).generate(Split.TRAIN, 500)) {
            correct(AnswerVerifier.verify("answer : " + item.answer() + " .", item));
            correct(AnswerVerifier.verify("we reason . \\boxed{" + item.answer() + "}", item));
            String other = switch (item.answerType()) {
                case NUMBER -> Integer.toString(Integer.parseInt(item.answer()) + 1);
                case YES_NO -> item.answer().equals("yes") ? "no" : "yes";
                case WORD -> item.answer() + "x";
            };
            wrong(AnswerVerifier.verify("answer : " + other + " .", item));
        }
    }
}
