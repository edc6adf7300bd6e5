package org.racro4j.training.hf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;

/**
 * Small Hugging Face checkpoint directories for tests, written from nothing (no download): random decoder weights
 * (config.json + model.safetensors, in F32 or BF16), a byte-level BPE tokenizer.json whose merges are learned here
 * from a corpus, its special tokens, a tokenizer_config.json with a chat template, and generation_config.json.
 *
 * <p>Two families, with different vocabularies and chat formats: {@link Family#QWEN2} (ChatML, no BOS, ends a turn
 * with {@code <|im_end|>}) and {@link Family#LLAMA3} (BOS first, header tokens, {@code <|eot_id|>}).
 */
public final class TinyHfCheckpoint {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The weights' spread is 0.02 x this. */
    private static final float WEIGHT_SCALE = 15f;
    /** GPT-2's pre-tokenizer, written out here: contractions, letters, digits, other, spaces. */
    private static final Pattern PRE_TOKEN = Pattern.compile("'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    public enum Family {
        QWEN2(List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), null, "<|im_end|>",
                "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"),
        LLAMA3(List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"), "<|begin_of_text|>",
                "<|end_of_text|>",
                "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
                        + "message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}");

        final List<String> specials;
        final String bos;
        final String eos;
        final String template;

        Family(List<String> specials, String bos, String eos, String template) {
            this.specials = specials;
            this.bos = bos;
            this.eos = eos;
            this.template = template;
        }
    }

    private TinyHfCheckpoint() {}

    /**
     * Writes a checkpoint into {@code dir} (created): a decoder of the family's architecture with {@code hidden} width
     * and {@code layers} layers, weights stored in {@code dtype}, and a tokenizer of 256 bytes + {@code merges} merges
     * learned from {@code corpus} + the family's special tokens. Returns the vocabulary size.
     */
    public static int write(Path dir, Family family, List<String> corpus, int merges, int hidden, int layers, DType dtype, long seed)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(byteChar(b)), vocab.size());
        List<String> learned = learnMerges(corpus, merges, vocab);
        Map<String, Integer> specialIds = new LinkedHashMap<>();
        for (String s : family.specials) specialIds.put(s, vocab.size() + specialIds.size());
        int vocabSize = vocab.size() + specialIds.size();
        writeJson(dir.resolve("tokenizer.json"), tokenizerJson(vocab, learned, specialIds));

        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (family.bos == null) tc.putNull("bos_token");
        else tc.put("bos_token", family.bos);
        tc.put("eos_token", family.eos);
        tc.put("chat_template", family.template);
        writeJson(dir.resolve("tokenizer_config.json"), tc);

        // as the chat models' generation_config.json: stop at the end of a turn and at the end of text
        int eos = specialIds.get(family.eos);
        int other = specialIds.get(family == Family.QWEN2 ? "<|endoftext|>" : "<|eot_id|>");
        ObjectNode gc = JSON.createObjectNode();
        gc.putArray("eos_token_id").add(eos).add(other);
        writeJson(dir.resolve("generation_config.json"), gc);

        String arch = family == Family.QWEN2 ? DecoderConfig.QWEN2 : DecoderConfig.LLAMA;
        int heads = 2;
        DecoderConfig config = new DecoderConfig(arch, vocabSize, hidden, 2 * hidden, layers, heads, 1, hidden / heads, 2048, 10000.0, 1e-6,
                family == Family.QWEN2, family == Family.QWEN2, family.bos == null ? -1 : specialIds.get(family.bos), List.of(eos, other));
        try (CausalLM lm = CausalLM.create(config, seed, dtype, Device.CPU)) {
            // Hugging Face's N(0, 0.02) initialisation gives near-uniform attention and logits, so what a tiny model
            // writes hardly depends on its prompt; a larger spread makes it depend on every token, as a trained
            // model's does, so that tests see a changed prompt in the answers
            for (Tensor w : lm.parameters()) if (w.dim() == 2) w.mulInPlace(WEIGHT_SCALE);
            lm.save(dir, Map.of("racro4j", "TinyHfCheckpoint"));
        }
        return vocabSize;
    }

    /** The texts the tasks' prompts, questions and descriptions are made of, for learning merges. */
    public static List<String> taskCorpus(List<String> texts) {
        List<String> corpus = new ArrayList<>(texts);
        corpus.add("Please think step by step. The final answer MUST BE put in \\boxed{}.");
        corpus.add("### The detailed caption of the provided image: ### Question: You are a helpful assistant.");
        return corpus;
    }

    /** Byte-pair merges, most frequent pair first (ties by the pair's text), over the corpus's GPT-2 pre-tokens. */
    static List<String> learnMerges(List<String> corpus, int merges, Map<String, Integer> vocab) {
        Map<List<String>, Integer> words = new HashMap<>();
        for (String text : corpus) {
            Matcher m = PRE_TOKEN.matcher(text);
            while (m.find()) {
                List<String> symbols = new ArrayList<>();
                for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) symbols.add(String.valueOf(byteChar(b & 0xFF)));
                words.merge(symbols, 1, Integer::sum);
            }
        }
        List<String> learned = new ArrayList<>();
        while (learned.size() < merges) {
            Map<String, Integer> pairs = new HashMap<>();
            for (var w : words.entrySet()) {
                List<String> s = w.getKey();
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + " " + s.get(i + 1), w.getValue(), Integer::sum);
            }
            String best = null;
            for (var p : pairs.entrySet()) {
                if (best == null || p.getValue() > pairs.get(best) || (p.getValue().equals(pairs.get(best)) && p.getKey().compareTo(best) < 0)) best = p.getKey();
            }
            if (best == null) break;
            learned.add(best);
            String[] ab = best.split(" ");
            vocab.putIfAbsent(ab[0] + ab[1], vocab.size());
            Map<List<String>, Integer> next = new HashMap<>();
            for (var w : words.entrySet()) {
                List<String> s = w.getKey();
                List<String> merged = new ArrayList<>(s.size());
                for (int i = 0; i < s.size(); i++) {
                    if (i + 1 < s.size() && s.get(i).equals(ab[0]) && s.get(i + 1).equals(ab[1])) {
                        merged.add(ab[0] + ab[1]);
                        i++;
                    } else {
                        merged.add(s.get(i));
                    }
                }
                next.merge(merged, w.getValue(), Integer::sum);
            }
            words = next;
        }
        return learned;
    }

    private static ObjectNode tokenizerJson(Map<String, Integer> vocab, List<String> merges, Map<String, Integer> specials) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        specials.forEach((content, id) -> added.addObject().put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true));
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
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        merges.forEach(m::add);
        return root;
    }

    /** GPT-2's byte → printable character map: printable Latin-1 bytes stand for themselves, the rest for 256 + n. */
    static char byteChar(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return (char) b;
        int n = 0;
        for (int x = 0; x < b; x++) if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) n++;
        return (char) (256 + n);
    }

    private static void writeJson(Path file, Object json) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    }
}
