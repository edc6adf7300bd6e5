package org.racro4j.training.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.models.chat.Message;
import org.racro4j.models.chat.PaperPrompts;
import org.racro4j.training.tasks.AnswerType;

/**
 * The answers the papers' reasoner prompts ask for are ones the verifier reads: RACRO's reasoner and PRCO's
 * Solver ask for the final answer in {@code \boxed{}}, and a response written that way is extracted from the box
 * (not from a number elsewhere in the reasoning) and graded.
 */
class PaperPromptAnswersTest {

    private static String userText(List<Message> messages) {
        return messages.get(messages.size() - 1).content();
    }

    @Test
    void theReasonerPromptsAskForABoxedAnswer() {
        assertTrue(userText(PaperPrompts.racroReasoner("c", "q")).endsWith("The final answer MUST BE put in \\boxed{}."));
        assertTrue(userText(PaperPrompts.prcoSolver("c", "q")).endsWith("the final answer in \\boxed{}."));
        assertEquals(List.of(""), Boxed.all(userText(PaperPrompts.racroReasoner("c", "q"))),
                     "the prompt's own empty box holds no answer");
    }

    @Test
    void aBoxedAnswerInTheRequestedFormatIsExtractedAndGraded() {
        String racro = "The caption shows 6 rows of 7 dots. 6 * 7 = 42, so there are 42 dots.\n\n"
                       + "The final answer is \\boxed{42}.";
        Verdict right = AnswerVerifier.verify(racro, "42", AnswerType.NUMBER, List.of());
        assertTrue(right.correct(), right.reason());
        assertEquals("42", right.extracted());
        assertTrue(right.reason().startsWith("boxed:"), right.reason());

        Verdict wrong = AnswerVerifier.verify(racro.replace("\\boxed{42}", "\\boxed{41}"), "42", AnswerType.NUMBER,
                                              List.of());
        assertFalse(wrong.correct());
        assertEquals("41", wrong.extracted());

        String prco = "<think>\nThe description lists side = 3 cm, so the area is 3^2 = 9.\n</think>\n\n"
                      + "The area is \\boxed{9}.";
        Verdict solver = AnswerVerifier.verify(prco, "9", AnswerType.NUMBER, List.of());
        assertTrue(solver.correct(), solver.reason());
        assertTrue(solver.reason().startsWith("boxed:"), solver.reason());
    }

    @Test
    void aResponseThatIgnoresTheFormatIsNotReadFromTheBox() {
        Verdict v = AnswerVerifier.verify("I think it is 42.", "42", AnswerType.NUMBER, List.of());
        assertFalse(v.reason().startsWith("boxed:"), v.reason());
    }
}
