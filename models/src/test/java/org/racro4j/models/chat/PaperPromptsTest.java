package org.racro4j.models.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The papers' prompts: RACRO's as published (quoted from its repository's virl39k.py and ray_trainer_caption.py), PRCO's as described. */
class PaperPromptsTest {

    @Test
    void racroCaptionerIsThePublishedText() {
        assertEquals(List.of(
            new Message("system", "You are given an image and a relevant question. Based on the query, please describe "
                                  + "the image in detail. Do not try to answer the question."),
            new Message("user", "Question: How many red blocks are left of the cube?\nPlease describe the image. DO NOT "
                                + "try to answer the question!")),
            PaperPrompts.racroCaptioner("How many red blocks are left of the cube?"));
    }

    @Test
    void racroReasonerIsThePublishedText() {
        assertEquals(List.of(
            new Message("system", "You are a helpful assistant."),
            new Message("user", "### The detailed caption of the provided image: Three red blocks and a blue cube.\n\n"
                                + "### Question: How many red blocks? Please think step by step. The final answer MUST "
                                + "BE put in \\boxed{}.")),
            PaperPrompts.racroReasoner("Three red blocks and a blue cube.", "How many red blocks?"));
    }

    @Test
    void prcoPromptsFollowTheDescribedRoles() {
        List<Message> observer = PaperPrompts.prcoObserver("What is the area?");
        assertEquals("system", observer.get(0).role());
        assertTrue(observer.get(1).content().startsWith("Question: What is the area?\n"));
        assertTrue(observer.get(1).content().contains("bullet list"));
        assertTrue(observer.get(1).content().contains("do not state the answer"));
        assertFalse(observer.get(1).content().contains("\\boxed"));

        List<Message> solver = PaperPrompts.prcoSolver("- side: 3 cm", "What is the area?");
        assertTrue(solver.get(1).content().contains("- side: 3 cm"));
        assertTrue(solver.get(1).content().contains("<think> </think>"));
        assertTrue(solver.get(1).content().endsWith("give the final answer in \\boxed{}."));
    }

    @Test
    void configNamesFindThePrompts() {
        for (PaperPrompts.Prompt p : PaperPrompts.Prompt.values()) {
            assertEquals(p, PaperPrompts.Prompt.named(p.configName()));
        }
        assertEquals(PaperPrompts.Prompt.PRCO_SOLVER, PaperPrompts.Prompt.named(" PRCO_Solver "));
        assertEquals(PaperPrompts.racroReasoner("c", "q"), PaperPrompts.Prompt.named("racro-reasoner").messages("c", "q"));
        assertEquals(PaperPrompts.prcoObserver("q"), PaperPrompts.Prompt.named("prco-observer").messages(null, "q"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                                  () -> PaperPrompts.Prompt.named("racro-solver"));
        assertEquals("unknown paper prompt \"racro-solver\" (known: racro-captioner, racro-reasoner, prco-observer, "
                     + "prco-solver)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PaperPrompts.Prompt.RACRO_REASONER.messages(null, "q"));
        assertThrows(IllegalArgumentException.class, () -> PaperPrompts.Prompt.RACRO_CAPTIONER.messages("c", "q"));
        assertThrows(NullPointerException.class, () -> PaperPrompts.racroCaptioner(null));
    }

    /** The reasoner's prompt through DeepSeek-R1-Distill's own template: what RACRO's training reasoner reads. */
    @Test
    void theReasonerPromptRendersThroughTheR1DistillTemplate() {
        ChatTemplate r1 = ChatTemplate.read(TestResources.path("deepseek-r1-distill"));
        assertEquals("<｜begin▁of▁sentence｜>You are a helpful assistant.<｜User｜>### The detailed caption of the "
                     + "provided image: A 3 by 4 grid.\n\n### Question: How many cells? Please think step by step. The "
                     + "final answer MUST BE put in \\boxed{}.<｜Assistant｜>",
                     r1.render(PaperPrompts.racroReasoner("A 3 by 4 grid.", "How many cells?"), true));
    }
}
