package org.racro4j.training.roles;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.racro4j.core.Autograd;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.generation.ContinuousGeneration;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.models.generation.TextGeneration;
import org.racro4j.models.tokenizer.Tokenizer;

/** Batched completion with a decoder: prompt ids in (a role's prompt in its tokenizer), ids up to a stop token out, and their text. */
public final class TextCompletion {
    /** Rows per generation batch: bounds memory of the KV cache without costing throughput. */
    static final int MAX_BATCH = 256;
    /**
     * Elements of a batch's widest activation (rows x positions x the MLP's width) a batch may reach: 512 MB in F32.
     * Long prompts to a wide model (a pretrained reasoner's) then go in fewer rows per batch; the built-in tasks'
     * short prompts to small models stay far below it at MAX_BATCH rows.
     */
    static final long MAX_ACTIVATION_ELEMENTS = 1L << 27;

    /** -D property: true samples completions with continuous batching (ContinuousGeneration) instead of fixed batches. */
    public static final String PROP_CONTINUOUS = "racro4j.rollout.continuous";

    private TextCompletion() {}

    /** BOS (where the tokenizer has one: Qwen2's has none) + the prompt's ids. */
    public static int[] promptIds(Tokenizer tok, String prompt) {
        int[] body = tok.encode(prompt);
        Integer bos = tok.specialTokens().bos();
        if (bos == null) return body;
        int[] ids = new int[body.length + 1];
        ids[0] = bos;
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    /** The ids of {@code text} followed by {@code end}: a response that ends there (its turn, or the text). */
    public static int[] endedWith(Tokenizer tok, String text, int end) {
        int[] body = tok.encode(text);
        int[] out = Arrays.copyOf(body, body.length + 1);
        out[body.length] = end;
        return out;
    }

    /** The response text of generated tokens: everything before EOS, specials dropped. */
    public static String text(Tokenizer tok, int[] tokens) {
        return textBefore(tok, tokens, Set.of(tok.specialTokens().eos()));
    }

    /** The response text of generated tokens: everything before the first of {@code stops}, specials dropped. */
    public static String textBefore(Tokenizer tok, int[] tokens, Set<Integer> stops) {
        int n = 0;
        while (n < tokens.length && !stops.contains(tokens[n])) n++;
        return tok.decode(Arrays.copyOf(tokens, n), true).strip();
    }

    /**
     * Generates for every prompt (optionally after prefix rows [N, P, D]) in batches of at most MAX_BATCH rows (fewer
     * for long sequences to a wide model: {@link #rowsPerBatch}), stopping at EOS. Deterministic for a given seed and
     * list of prompts.
     */
    public static List<Generated> complete(CausalLM lm, Tokenizer tok, Tensor prefix, List<int[]> prompts, int maxTokens,
                                           float temperature, long seed) {
        return complete(lm, tok, prefix, prompts, 1, maxTokens, temperature, seed);
    }

    /**
     * groupSize samples of every prompt (and its prefix row), each prompt prefilled once
     * ({@link TextGeneration#generate(CausalLM, Tensor, List, SamplingConfig, int)}): prompt i's samples at
     * i x groupSize onwards. When groupSize divides the rows per batch the batches and seeds are those of {@code complete} on
     * the list with every prompt repeated groupSize times, so the results are too.
     */
    public static List<Generated> complete(CausalLM lm, Tokenizer tok, Tensor prefix, List<int[]> prompts, int groupSize, int maxTokens,
                                           float temperature, long seed) {
        return complete(lm, Set.of(tok.specialTokens().eos()), prefix, prompts, groupSize, maxTokens, temperature, seed);
    }

    /** {@link #complete(CausalLM, Tokenizer, Tensor, List, int, int, float, long)}, stopping at any of {@code stops}. */
    public static List<Generated> complete(CausalLM lm, Set<Integer> stops, Tensor prefix, List<int[]> prompts, int groupSize, int maxTokens,
                                           float temperature, long seed) {
        if ("true".equalsIgnoreCase(System.getProperty(PROP_CONTINUOUS))) {
            SamplingConfig cfg = new SamplingConfig(maxTokens, temperature, 0, 1f, seed, stops);
            return ContinuousGeneration.generate(lm, ContinuousGeneration.Request.list(prefix, prompts), cfg, Math.max(MAX_BATCH, groupSize),
                    groupSize, 0);
        }
        List<Generated> out = new ArrayList<>(prompts.size() * groupSize);
        int longest = 0;
        for (int[] p : prompts) longest = Math.max(longest, p.length);
        int rows = rowsPerBatch(lm, (prefix == null ? 0 : prefix.size(1)) + longest + maxTokens);
        int promptsPerBatch = Math.max(1, rows / groupSize);
        for (int start = 0; start < prompts.size(); start += promptsPerBatch) {
            int end = Math.min(prompts.size(), start + promptsPerBatch);
            int firstRow = start * groupSize;
            Tensor p = prefix == null ? null : prefix.narrow(0, start, end - start);
            SamplingConfig cfg = new SamplingConfig(maxTokens, temperature, 0, 1f, seed + 1_000_003L * firstRow, stops);
            try {
                out.addAll(TextGeneration.generate(lm, p, prompts.subList(start, end), cfg, groupSize));
            } catch (NonFiniteException e) {
                throw e.atRow(firstRow + e.row());   // the caller's row, not the batch's
            }
        }
        return out;
    }

    /** Rows per batch for sequences of up to {@code positions} positions: MAX_BATCH, fewer where the activations would exceed their bound. */
    static int rowsPerBatch(CausalLM lm, int positions) {
        long perRow = (long) positions * lm.config().intermediateSize();
        return (int) Math.max(1, Math.min(MAX_BATCH, MAX_ACTIVATION_ELEMENTS / Math.max(1, perRow)));
    }

    /** k answers per (caption, question) from a text-only decoder asked with {@code prompt}. No gradients. */
    public static List<List<Answer>> answers(CausalLM lm, ReasonerPrompt prompt, List<String> captions, List<String> questions, int k,
                                             int maxTokens, float temperature, long seed) {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) prompts.add(prompt.promptIds(captions.get(i), questions.get(i)));
        List<Generated> gen;
        try (Autograd.Mode off = Autograd.noGrad()) {
            gen = complete(lm, prompt.stopTokens(), null, prompts, k, maxTokens, temperature, seed);
        } catch (NonFiniteException e) {
            throw e.atRow(e.row() / k);   // the caption's row: each caption is answered k times
        }
        List<List<Answer>> out = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            List<Answer> row = new ArrayList<>(k);
            for (int j = 0; j < k; j++) {
                Generated g = gen.get(i * k + j);
                row.add(new Answer(prompt.completion(g.tokens()), prompts.get(i), g.tokens(), g.stopped()));
            }
            out.add(row);
        }
        return out;
    }

    /**
     * P(answer ids | prompt ids) under a text-only decoder ({@link ReasonerPrompt#answerIds}: for the word-level
     * prompt, the answer + EOS after BOS + the reasoner prompt), one teacher-forced forward per batch. A row
     * whose log-probability is not finite throws, naming the row and the answer token: exp would turn NaN into a NaN
     * reward and -infinity into a probability of exactly 0, a wrong reward that looks like a real one.
     */
    public static double[] answerProbabilities(CausalLM lm, ReasonerPrompt prompt, List<String> captions, List<String> questions,
                                               List<String> answers) {
        double[] out = new double[captions.size()];
        List<int[]> allContexts = new ArrayList<>(captions.size());
        List<int[]> allTargets = new ArrayList<>(captions.size());
        int longest = 0;
        for (int i = 0; i < captions.size(); i++) {
            allContexts.add(prompt.promptIds(captions.get(i), questions.get(i)));
            allTargets.add(prompt.answerIds(answers.get(i)));
            longest = Math.max(longest, allContexts.get(i).length + allTargets.get(i).length);
        }
        int rows = rowsPerBatch(lm, longest);
        for (int start = 0; start < captions.size(); start += rows) {
            int end = Math.min(captions.size(), start + rows);
            List<int[]> contexts = allContexts.subList(start, end);
            List<int[]> targets = allTargets.subList(start, end);
            try (Autograd.Mode off = Autograd.noGrad(); org.racro4j.core.Scope s = org.racro4j.core.Scope.open()) {
                TeacherForcing.Scores scores = TeacherForcing.score(lm, null, contexts, targets, 1f, false);
                float[] rowSums = scores.logProbs().sum(1, false).toFloatArray();
                for (int i = start; i < end; i++) {
                    if (!Float.isFinite(rowSums[i - start])) throw nonFinite(scores, i - start, start, captions.size(), rowSums[i - start]);
                    out[i] = Math.exp(rowSums[i - start]);
                }
            }
        }
        return out;
    }

    /** Where a row's non-finite sum came from: the first non-finite answer token of the batch (offset by start). */
    private static NonFiniteException nonFinite(TeacherForcing.Scores scores, int batchRow, int start, int rows, float sum) {
        TeacherForcing.NonFinite at = TeacherForcing.firstNonFinite(scores);
        // the row's sum is non-finite because one of its answer tokens is, so `at` is found; the fallback is for a NaN
        // that reached the sum some other way (a padding slot)
        String where = at == null
                ? "the log-probability of row " + (start + batchRow) + " of " + rows + " sums to " + sum
                : "answer token " + at.token() + " of row " + (start + at.row()) + " of " + rows + " has log-probability " + at.value();
        return new NonFiniteException("answer probability: " + where + ": the answering model's weights or inputs hold NaN or infinity",
                start + (at == null ? batchRow : at.row()));
    }
}
