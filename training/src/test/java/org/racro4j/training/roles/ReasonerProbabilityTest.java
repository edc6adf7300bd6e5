package org.racro4j.training.roles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.text.TaskTokenizer;

/**
 * The expected caption reward's P(answer + stop) equals exp(Σ log-probs) that cached generation records for the
 * same tokens — two independent code paths (left-padded cached decoding, right-padded teacher forcing).
 */
class ReasonerProbabilityTest {
    @Test
    void answerProbabilityIsTheProbabilityOfTheGeneratedAnswerAndStop() {
        WordLevelTokenizer tok = TaskTokenizer.create();
        DecoderConfig c = new DecoderConfig(DecoderConfig.QWEN2, tok.vocabSize(), 32, 48, 2, 4, 2, 8, 96, 10000.0, 1e-6, true, true,
                tok.specialTokens().bos(), List.of(tok.specialTokens().eos()));
        List<String> captions = List.of("red circle at top left .", "the blue bar is 7 .", "", "green square at middle center .");
        List<String> questions = List.of("how many red shapes are there ?", "what is the value of the blue bar ?",
                "what color is the circle ?", "what shape is the green object ?");
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) prompts.add(TextCompletion.promptIds(tok, Prompts.reasoner(captions.get(i), questions.get(i))));
        int checked = 0;
        // random weights: whether sampled answers stop within 3 tokens depends on the draw (and on the vocabulary's
        // size), so weights are drawn again until enough have stopped
        for (long weights = 4; weights < 24 && checked < 5; weights++) {
            checked += compareSampledAnswers(c, tok, weights, captions, questions, prompts);
        }
        assertTrue(checked >= 5, "compared " + checked + " answers");
    }

    /** Samples answers with random weights drawn from {@code weights}; checks the stopped ones, returns how many. */
    private static int compareSampledAnswers(DecoderConfig c, WordLevelTokenizer tok, long weights, List<String> captions, List<String> questions,
                                             List<int[]> prompts) {
        CausalLM lm = CausalLM.create(c, 3, DType.F32, Device.CPU);
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            Generator g = new Generator(weights);
            for (Tensor t : lm.stateDict().values()) t.copyFrom(Tensor.randn(g, t.shape()).mul(0.4f));
            // make the end token likely, so that many sampled answers stop within 3 tokens
            Tensor emb = lm.stateDict().get("model.embed_tokens.weight");
            emb.narrow(0, tok.specialTokens().eos(), 1).mulInPlace(4f);
        }
        int checked = 0;
        try (Reasoner r = new Reasoner("tiny", lm, new ReasonerPrompt.Words(tok), 3)) {
            for (long seed = 0; seed < 6; seed++) {
                List<Generated> gen = TextCompletion.complete(lm, tok, null, prompts, 3, 1f, seed);
                List<String> answers = gen.stream().map(x -> TextCompletion.text(tok, x.tokens())).toList();
                double[] p = r.answerProbability(captions, questions, answers);
                for (int i = 0; i < captions.size(); i++) {
                    Generated x = gen.get(i);
                    // only a stopped answer whose text re-encodes to the same tokens has probability exp(sum)
                    // (a sampled special token disappears from the text)
                    int[] body = java.util.Arrays.copyOf(x.tokens(), x.tokens().length - 1);
                    if (!x.stopped() || body.length == 0 || !java.util.Arrays.equals(body, tok.encode(answers.get(i)))) continue;
                    assertEquals(Math.exp(x.sumLogProb()), p[i], 1e-4 * p[i] + 1e-7,
                            "weights " + weights + ", seed " + seed + " row " + i + " answer " + answers.get(i));
                    checked++;
                }
            }
        }
        return checked;
    }
}
