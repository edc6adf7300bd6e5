package org.racro4j.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Learns a small byte-level BPE vocabulary from a corpus and writes it as a Hugging Face {@code tokenizer.json}
 * (GPT-2's layout: ByteLevel pre-tokenizer and decoder, every byte a token, merges in priority order, special tokens as
 * added tokens after the vocabulary). It is what a checkpoint made up for a test or an example needs: a tokenizer with
 * the shape of a real one that splits the corpus's words into few tokens. Not an efficient trainer: each merge
 * recounts every pair of the corpus's distinct words.
 */
public final class BpeTrainer {
    private static final Pattern PRE_TOKEN = Pattern.compile(SplitRegex.GPT2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private BpeTrainer() {}

    /** The vocabulary (256 bytes, then one token per merge) and the merges, in the order they were learned. */
    public record Learned(Map<String, Integer> vocab, List<String> merges) {}

    /**
     * Up to {@code merges} merges (fewer when the corpus runs out of pairs), each the most frequent adjacent pair over the
     * corpus's pre-tokens as the last merge left them; ties go to the pair whose text sorts first.
     */
    public static Learned learn(List<String> corpus, int merges) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), vocab.size());
        Map<List<String>, Integer> words = new HashMap<>();
        for (String text : corpus) {
            Matcher m = PRE_TOKEN.matcher(text);
            while (m.find()) {
                List<String> symbols = new ArrayList<>();
                for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) symbols.add(String.valueOf(ByteLevel.charOf(b)));
                words.merge(symbols, 1, Integer::sum);
            }
        }
        List<String> learned = new ArrayList<>();
        while (learned.size() < merges) {
            String best = mostFrequentPair(words);
            if (best == null) break;
            learned.add(best);
            int space = best.indexOf(' ');
            String left = best.substring(0, space);
            String right = best.substring(space + 1);
            vocab.putIfAbsent(left + right, vocab.size());
            words = applyMerge(words, left, right);
        }
        return new Learned(vocab, learned);
    }

    /** A tokenizer.json of the learned vocabulary with {@code specials} as special added tokens, ids after the vocabulary's. */
    public static ObjectNode tokenizerJson(Learned learned, List<String> specials) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        int id = learned.vocab().size();
        for (String s : specials) {
            added.addObject().put("id", id++).put("content", s).put("single_word", false).put("lstrip", false).put("rstrip", false)
                    .put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        learned.vocab().forEach(v::put);
        ArrayNode m = model.putArray("merges");
        learned.merges().forEach(m::add);
        return root;
    }

    private static String mostFrequentPair(Map<List<String>, Integer> words) {
        Map<String, Integer> pairs = new HashMap<>();
        for (var w : words.entrySet()) {
            List<String> s = w.getKey();
            for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + " " + s.get(i + 1), w.getValue(), Integer::sum);
        }
        String best = null;
        int bestCount = 0;
        for (var p : pairs.entrySet()) {
            int c = p.getValue();
            if (best == null || c > bestCount || (c == bestCount && p.getKey().compareTo(best) < 0)) {
                best = p.getKey();
                bestCount = c;
            }
        }
        return best;
    }

    private static Map<List<String>, Integer> applyMerge(Map<List<String>, Integer> words, String left, String right) {
        Map<List<String>, Integer> next = new HashMap<>();
        for (var w : words.entrySet()) {
            List<String> s = w.getKey();
            List<String> merged = new ArrayList<>(s.size());
            for (int i = 0; i < s.size(); i++) {
                if (i + 1 < s.size() && s.get(i).equals(left) && s.get(i + 1).equals(right)) {
                    merged.add(left + right);
                    i++;
                } else {
                    merged.add(s.get(i));
                }
            }
            next.merge(merged, w.getValue(), Integer::sum);
        }
        return next;
    }
}
