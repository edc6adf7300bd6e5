package org.racro4j.training.roles;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.training.hf.ReferenceDecoding;
import org.racro4j.training.hf.RandomChatCheckpoint;
import org.racro4j.training.hf.RandomChatCheckpoint.Family;

/**
 * A Hugging Face checkpoint as the frozen reasoner: it is asked with RACRO's reasoner prompt through its own chat
 * template and tokenizer, and what it answers (and the probability it gives an answer) equals an independent greedy
 * loop and teacher-forcing sum over full forwards of the same weights on the prompt text written out here.
 */
class PretrainedReasonerTest {
    @TempDir
    static Path tmp;
    static Path qwen;
    static Path llama;

    static final List<String> CAPTIONS = List.of("there is one red circle and two blue squares", "", "the arrow points left",
            "three green triangles");
    static final List<String> QUESTIONS = List.of("how many blue squares are there ?", "what color is the circle ?", "which way does the arrow point ?",
            "how many triangles are there ?");

    @BeforeAll
    static void checkpoints() throws IOException {
        List<String> corpus = concat(CAPTIONS, QUESTIONS);
        qwen = tmp.resolve("qwen");
        RandomChatCheckpoint.write(qwen, Family.QWEN2, new RandomChatCheckpoint.Shape(24, 48, 2, 2, 1, 60, 0.3f), DType.F32, 11, corpus);
        llama = tmp.resolve("llama");
        RandomChatCheckpoint.write(llama, Family.LLAMA3, new RandomChatCheckpoint.Shape(16, 32, 1, 2, 1, 25, 0.3f), DType.BF16, 12, corpus);
    }

    /** The RACRO reasoner prompt in ChatML, written out by hand from the paper's text. */
    static String chatMl(String caption, String question) {
        return "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n### The detailed caption of the provided image: " + caption
                + "\n\n### Question: " + question + " Please think step by step. The final answer MUST BE put in \\boxed{}.<|im_end|>\n"
                + "<|im_start|>assistant\n";
    }

    @Test
    void chatPromptIsThePapersPromptInTheCheckpointsTemplate() {
        Tokenizer tok = Tokenizers.load(qwen.resolve("tokenizer.json"));
        ReasonerPrompt p = ReasonerPrompt.forModel(qwen, tok, null);
        assertInstanceOf(ReasonerPrompt.Chat.class, p);
        assertEquals("racro-reasoner (the checkpoint's chat template)", p.describe());
        for (int i = 0; i < CAPTIONS.size(); i++) {
            int[] ids = p.promptIds(CAPTIONS.get(i), QUESTIONS.get(i));
            assertEquals(chatMl(CAPTIONS.get(i), QUESTIONS.get(i)), tok.decode(ids));
            // the template's markers are single special tokens, not their characters
            int imStart = tok.specialTokens().id("<|im_start|>");
            assertEquals(3, Arrays.stream(ids).filter(id -> id == imStart).count());
        }
        int imEnd = tok.specialTokens().id("<|im_end|>");
        assertEquals(imEnd, ((ReasonerPrompt.Chat) p).format().endOfTurn());
        assertTrue(p.stopTokens().contains(imEnd) && p.stopTokens().contains(tok.specialTokens().id("<|endoftext|>")));
        assertEquals("\\boxed{7}<|im_end|>", tok.decode(p.answerIds("7")));
        int[] generated = concat(tok.encode("so \\boxed{2}"), new int[] {imEnd}, tok.encode(" more"));
        assertEquals("so \\boxed{2}", p.completion(generated));
    }

    @Test
    void llama3TemplateWritesItsBosOnceAndEndsTurnsWithEotId() {
        Tokenizer tok = Tokenizers.load(llama.resolve("tokenizer.json"));
        ReasonerPrompt p = ReasonerPrompt.forModel(llama, tok, "prco-solver");
        int[] ids = p.promptIds("a red circle", "what color is it ?");
        int bos = tok.specialTokens().bos();
        assertEquals(bos, ids[0]);
        assertEquals(1, Arrays.stream(ids).filter(id -> id == bos).count());
        assertTrue(tok.decode(ids).startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are the Solver."));
        assertTrue(tok.decode(ids).endsWith("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"));
        assertEquals(tok.specialTokens().id("<|eot_id|>"), ((ReasonerPrompt.Chat) p).format().endOfTurn());
    }

    @Test
    void aPromptThatWritesCaptionsIsRefused() {
        Tokenizer tok = Tokenizers.load(qwen.resolve("tokenizer.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReasonerPrompt.forModel(qwen, tok, "racro-captioner"));
        assertTrue(e.getMessage().contains("writes a caption"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReasonerPrompt.forModel(qwen, tok, "racro-reasonr"));
    }

    @Test
    void answersEqualAnIndependentGreedyLoopOnTheWrittenOutPrompt() throws IOException {
        Tokenizer tok = Tokenizers.load(qwen.resolve("tokenizer.json"));
        Set<Integer> stops = Set.of(tok.specialTokens().id("<|im_end|>"), tok.specialTokens().id("<|endoftext|>"));
        int maxTokens = 9;
        try (Reasoner r = Reasoner.load("qwen", qwen, Device.CPU, maxTokens, null);
             CausalLM reference = CausalLM.load(qwen, DType.F32, Device.CPU)) {
            List<List<Answer>> answers = r.answer(CAPTIONS, QUESTIONS, 1, 0f, 0);
            for (int i = 0; i < CAPTIONS.size(); i++) {
                int[] prompt = tok.encode(chatMl(CAPTIONS.get(i), QUESTIONS.get(i)));
                assertArrayEquals(prompt, answers.get(i).get(0).context());
                int[] out = ReferenceDecoding.greedy(reference, prompt, stops, maxTokens);
                String expected = tok.decode(out, true).strip();
                assertEquals(expected, answers.get(i).get(0).text(), "item " + i);
            }
        }
    }

    @Test
    void answerProbabilityIsTheTeacherForcedProductOfBoxedAnswerAndEndOfTurn() throws IOException {
        Tokenizer tok = Tokenizers.load(qwen.resolve("tokenizer.json"));
        List<String> answers = List.of("2", "red", "left", "3");
        try (Reasoner r = Reasoner.load("qwen", qwen, Device.CPU, 4, null);
             CausalLM reference = CausalLM.load(qwen, DType.F32, Device.CPU)) {
            double[] p = r.answerProbability(CAPTIONS, QUESTIONS, answers);
            for (int i = 0; i < CAPTIONS.size(); i++) {
                int[] prompt = tok.encode(chatMl(CAPTIONS.get(i), QUESTIONS.get(i)));
                int[] target = tok.encode("\\boxed{" + answers.get(i) + "}<|im_end|>");
                double logP = ReferenceDecoding.logProbability(reference, prompt, target);
                assertEquals(logP, Math.log(p[i]), 2e-4, "item " + i);
            }
        }
    }

    @Test
    void aBf16CheckpointStaysBf16AndScoresAsItsWeightsDo() throws IOException {
        Tokenizer tok = Tokenizers.load(llama.resolve("tokenizer.json"));
        List<String> answers = List.of("2", "red", "left", "3");
        try (Reasoner r = Reasoner.load("llama", llama, Device.CPU, 4, null);
             CausalLM reference = CausalLM.load(llama, DType.F32, Device.CPU)) {
            assertEquals(DType.BF16, r.model().dtype());
            for (Tensor w : r.model().parameters()) assertEquals(DType.BF16, w.dtype());
            double[] p = r.answerProbability(CAPTIONS, QUESTIONS, answers);
            for (int i = 0; i < CAPTIONS.size(); i++) {
                int[] prompt = r.prompt().promptIds(CAPTIONS.get(i), QUESTIONS.get(i));
                int[] target = r.prompt().answerIds(answers.get(i));
                // BF16 activations (8-bit mantissas, rounded once per op) against F32 on the same weights
                assertEquals(ReferenceDecoding.logProbability(reference, prompt, target), Math.log(p[i]), 0.05 * target.length, "item " + i);
            }
        }
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
