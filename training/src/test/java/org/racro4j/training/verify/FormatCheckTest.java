package org.racro4j.training.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FormatCheckTest {

    @Test
    void boxedFormat() {
        assertTrue(FormatCheck.follows("think . \\boxed{7}", AnswerFormat.BOXED));
        assertTrue(FormatCheck.follows("\\boxed{\\frac{1}{2}}", AnswerFormat.BOXED));
        assertFalse(FormatCheck.follows("answer : 7", AnswerFormat.BOXED));
        assertFalse(FormatCheck.follows("\\boxed{}", AnswerFormat.BOXED));
        assertFalse(FormatCheck.follows("\\boxed{7", AnswerFormat.BOXED));
        assertFalse(FormatCheck.follows("\\boxed{3} or \\boxed{4}", AnswerFormat.BOXED));
        assertEquals(2, FormatCheck.check("\\boxed{3} or \\boxed{4}", AnswerFormat.BOXED).boxedAnswers());
    }

    @Test
    void answerLineFormat() {
        assertTrue(FormatCheck.follows("the red bar is 7 . answer : 7 .", AnswerFormat.ANSWER_LINE));
        assertTrue(FormatCheck.follows("Answer: blue", AnswerFormat.ANSWER_LINE));
        assertFalse(FormatCheck.follows("the answer is 7", AnswerFormat.ANSWER_LINE));
        assertFalse(FormatCheck.follows("answer : .", AnswerFormat.ANSWER_LINE));
        assertFalse(FormatCheck.follows("answer :\n7", AnswerFormat.ANSWER_LINE));
        assertFalse(FormatCheck.follows("answer : 3 . answer : 4 .", AnswerFormat.ANSWER_LINE));
        assertFalse(FormatCheck.follows("", AnswerFormat.ANSWER_LINE));
    }

    @Test
    void eitherFormat() {
        assertTrue(FormatCheck.follows("\\boxed{7}", AnswerFormat.EITHER));
        assertTrue(FormatCheck.follows("answer : 7", AnswerFormat.EITHER));
        assertTrue(FormatCheck.follows("answer : 7 . \\boxed{7}", AnswerFormat.EITHER));
        assertFalse(FormatCheck.follows("it is 7", AnswerFormat.EITHER));
        assertFalse(FormatCheck.follows("\\boxed{7} \\boxed{8}", AnswerFormat.EITHER));
        assertEquals("no boxed answer or answer line", FormatCheck.check("7", AnswerFormat.EITHER).reason());
    }
}
