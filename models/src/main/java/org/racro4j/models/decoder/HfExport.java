package org.racro4j.models.decoder;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.models.tokenizer.AddedToken;
import org.racro4j.models.tokenizer.SpecialTokens;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;
import org.racro4j.models.tokenizer.WordLevelTokenizer;

/**
 * Writes a decoder and its word-level tokenizer as a Hugging Face checkpoint directory, the files transformers'
 * {@code AutoModelForCausalLM} and {@code AutoTokenizer} (as {@code PreTrainedTokenizerFast}) read:
 *
 * <ul>
 *   <li>{@code config.json}: {@link DecoderConfig#toJson} plus the keys Qwen2Config / LlamaConfig would write with
 *       their defaults ({@code use_cache}, {@code attention_dropout}, {@code initializer_range}, {@code rope_scaling},
 *       {@code use_sliding_window} / {@code mlp_bias}), {@code pad_token_id}, and {@code torch_dtype} of the weights;</li>
 *   <li>{@code model.safetensors}: the weights under Hugging Face's names, metadata {@code format: pt};</li>
 *   <li>{@code tokenizer.json}: {@link WordLevelTokenizer#toJson} with a {@code TemplateProcessing} post-processor
 *       that puts the bos token first, because racro4j trains and prompts its decoders on bos + text: Hugging Face's
 *       {@code tokenizer(text)} then gives the ids the model saw (racro4j's own {@code encode} ignores
 *       post-processors and adds bos itself);</li>
 *   <li>{@code tokenizer_config.json}, {@code special_tokens_map.json}: which special token is bos, eos, pad, unk;</li>
 *   <li>{@code generation_config.json}: bos, eos and pad ids for {@code generate}.</li>
 * </ul>
 *
 * <p>Checked with transformers 5.17 and tokenizers 0.23 ({@code bench/python/hf_export_check.py}): the models load
 * with {@code AutoModelForCausalLM} and give racro4j's logits to a few 1e-6, {@code PreTrainedTokenizerFast.from_pretrained}
 * gives racro4j's ids (bos first) and text, and {@code generate} racro4j's greedy tokens. {@code AutoTokenizer} does
 * for a Llama-shaped export; for a Qwen2-shaped one transformers 5 substitutes its byte-level {@code Qwen2Tokenizer},
 * whatever tokenizer_config.json names, and that class does not read a word-level tokenizer.json.
 */
public final class HfExport {
    public static final List<String> FILES = List.of("config.json", CheckpointFiles.SINGLE, "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");
    /** A checkpoint's files besides config and weights that say how its text is read and written. */
    public static final List<String> CHECKPOINT_TEXT_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "chat_template.jinja", "chat_template.json", "generation_config.json");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private HfExport() {}

    /** What {@link #write} wrote. */
    public record Summary(Path dir, String architecture, long parameters, int vocabSize, String dtype) {}

    /**
     * Writes {@code model} and {@code tok} as a new checkpoint directory {@code out}: into a temporary directory
     * beside it, read back (config, every tensor bit for bit, the tokenizer's vocabulary and special tokens),
     * then renamed to {@code out}. Nothing is left behind when it fails.
     *
     * @throws IOException naming the path, when {@code out} already exists or a file cannot be written, and when
     *                     the model cannot be expressed for transformers (see {@link #checkExportable})
     */
    public static Summary write(CausalLM model, WordLevelTokenizer tok, Path out) throws IOException {
        try {
            checkExportable(model.config(), tok);
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot export to " + out + ": " + e.getMessage(), e);
        }
        return staged(model, out, dir -> {
            writeInto(model, tok, dir);
            verify(model, tok, dir);
        });
    }

    /**
     * Writes a decoder that reads with a pretrained checkpoint's tokenizer (a decoder a run started from a checkpoint and
     * trained) as a new checkpoint directory {@code out}: config.json and the weights, with the tokenizer, chat template
     * and generation files ({@link #CHECKPOINT_TEXT_FILES}) copied from {@code textFrom}; staged, read back and renamed
     * as {@link #write} does.
     */
    public static Summary writeWithTextOf(CausalLM model, Path textFrom, Path out) throws IOException {
        Tokenizer tok = Tokenizers.load(textFrom.resolve("tokenizer.json"));
        try {
            checkExportable(model.config(), tok);
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot export to " + out + ": " + e.getMessage(), e);
        }
        return staged(model, out, dir -> {
            writeJson(dir.resolve("config.json"), config(model.config(), model.dtype(), tok));
            Safetensors.write(dir.resolve(CheckpointFiles.SINGLE), model.stateDict(), Map.of("format", "pt"));
            for (String f : CHECKPOINT_TEXT_FILES) {
                if (Files.isRegularFile(textFrom.resolve(f))) Files.copy(textFrom.resolve(f), dir.resolve(f));
            }
            verifyWeights(model, dir);
            if (Files.mismatch(dir.resolve("tokenizer.json"), textFrom.resolve("tokenizer.json")) != -1) {
                throw new IOException(dir.resolve("tokenizer.json") + " is not a copy of " + textFrom.resolve("tokenizer.json"));
            }
        });
    }

    /** What writes and checks an export's files in its staging directory. */
    private interface Staging {
        void fill(Path dir) throws IOException;
    }

    /** Fills a temporary directory beside {@code out}, then renames it to {@code out}; nothing is left behind when it fails. */
    private static Summary staged(CausalLM model, Path out, Staging files) throws IOException {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(out + " already exists (the export writes a new directory)");
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path staged = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp");
        try {
            files.fill(staged);
            Files.move(staged, target);   // a rename within the parent; refuses a target created meanwhile
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(staged);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        DecoderConfig c = model.config();
        return new Summary(target, c.architecture(), c.parameterCount(), c.vocabSize(), torchDtype(model.dtype()));
    }

    /**
     * Refuses what transformers would load differently from racro4j: a tokenizer with more ids than the model has
     * rows, and a Llama decoder with {@code attention_bias} (transformers' LlamaAttention then also gives o_proj a
     * bias, which racro4j's does not have).
     *
     * @throws IllegalArgumentException saying which
     */
    public static void checkExportable(DecoderConfig c, Tokenizer tok) {
        if (tok.vocabSize() > c.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize() + " ids but the model's vocab_size is "
                    + c.vocabSize());
        }
        if (c.architecture().equals(DecoderConfig.LLAMA) && c.attentionBias()) {
            throw new IllegalArgumentException("a Llama decoder with attention_bias: transformers would add an o_proj bias "
                    + "that this model does not have");
        }
    }

    /** Writes the six files into {@code dir}, an existing directory being staged (files are written in place). */
    public static void writeInto(CausalLM model, WordLevelTokenizer tok, Path dir) throws IOException {
        DecoderConfig c = model.config();
        writeJson(dir.resolve("config.json"), config(c, model.dtype(), tok));
        Safetensors.write(dir.resolve(CheckpointFiles.SINGLE), model.stateDict(), Map.of("format", "pt"));
        ObjectNode tokenizerJson = tok.toJson();
        Integer bos = tok.specialTokens().bos();
        if (bos != null) {
            tokenizerJson.set("post_processor", bosFirst(tok.token(bos), bos));
        }
        WordLevelTokenizer.write(tokenizerJson, dir.resolve("tokenizer.json"));
        writeTokenizerConfig(tok, c.maxPositions(), dir);
        writeGenerationConfig(c, tok, dir);
    }

    /**
     * Writes {@code tokenizer_config.json} (tokenizer_class {@code PreTrainedTokenizerFast}, the role tokens,
     * {@code model_max_length}, {@code added_tokens_decoder}, {@code clean_up_tokenization_spaces: false} so that
     * decoding joins words with single spaces as racro4j does) and {@code special_tokens_map.json} into {@code dir}.
     */
    public static void writeTokenizerConfig(WordLevelTokenizer tok, int modelMaxLength, Path dir) throws IOException {
        SpecialTokens roles = tok.specialTokens();
        ObjectNode config = JSON.createObjectNode();
        ObjectNode decoder = config.putObject("added_tokens_decoder");
        for (AddedToken t : tok.specials()) {
            decoder.putObject(Integer.toString(t.id()))
                    .put("content", t.content())
                    .put("lstrip", t.lstrip())
                    .put("normalized", t.normalized())
                    .put("rstrip", t.rstrip())
                    .put("single_word", t.singleWord())
                    .put("special", t.special());
        }
        ObjectNode map = JSON.createObjectNode();
        putRole(config, map, "bos_token", tok, roles.bos());
        putRole(config, map, "eos_token", tok, roles.eos());
        putRole(config, map, "pad_token", tok, roles.pad());
        putRole(config, map, "unk_token", tok, roles.unk());
        List<String> extra = tok.specials().stream().filter(AddedToken::special).map(AddedToken::content)
                .filter(s -> !isRole(tok, roles, s)).toList();
        if (!extra.isEmpty()) {
            ArrayNode a = config.putArray("additional_special_tokens");
            ArrayNode b = map.putArray("additional_special_tokens");
            extra.forEach(a::add);
            extra.forEach(b::add);
        }
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", modelMaxLength);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        writeJson(dir.resolve("tokenizer_config.json"), config);
        writeJson(dir.resolve("special_tokens_map.json"), map);
    }

    /** Writes {@code generation_config.json}: the model's bos and eos ids (as config.json has them) and the pad id. */
    public static void writeGenerationConfig(DecoderConfig c, Tokenizer tok, Path dir) throws IOException {
        ObjectNode g = JSON.createObjectNode();
        putTokenIds(g, c);
        Integer pad = tok.specialTokens().pad();
        if (pad != null) g.put("pad_token_id", pad);
        writeJson(dir.resolve("generation_config.json"), g);
    }

    /** config.json for transformers: racro4j's keys plus the defaults its config classes would write. */
    static ObjectNode config(DecoderConfig c, DType dtype, Tokenizer tok) {
        ObjectNode n = c.toJson();
        putTokenIds(n, c);
        Integer pad = tok.specialTokens().pad();
        if (pad != null) n.put("pad_token_id", pad);
        else n.putNull("pad_token_id");
        n.put("torch_dtype", torchDtype(dtype));
        n.put("use_cache", true);
        n.put("attention_dropout", 0.0);
        n.put("initializer_range", 0.02);
        n.putNull("rope_scaling");
        if (c.architecture().equals(DecoderConfig.QWEN2)) {
            n.put("use_sliding_window", false);
            n.put("max_window_layers", c.numLayers());
        } else {
            n.put("mlp_bias", false);
            n.put("pretraining_tp", 1);
        }
        return n;
    }

    /** bos_token_id (null when none) and eos_token_id: one id as a number, several as a list, as transformers writes them. */
    private static void putTokenIds(ObjectNode n, DecoderConfig c) {
        if (c.bosTokenId() >= 0) n.put("bos_token_id", c.bosTokenId());
        else n.putNull("bos_token_id");
        List<Integer> eos = c.eosTokenIds();
        if (eos.isEmpty()) {
            n.putNull("eos_token_id");
        } else if (eos.size() == 1) {
            n.put("eos_token_id", eos.get(0));
        } else {
            ArrayNode a = n.putArray("eos_token_id");
            eos.forEach(a::add);
        }
    }

    /** tokenizers' TemplateProcessing that puts {@code bos} before each sequence. */
    private static ObjectNode bosFirst(String bos, int bosId) {
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        special(single, bos, 0);
        sequence(single, "A", 0);
        ArrayNode pair = p.putArray("pair");
        special(pair, bos, 0);
        sequence(pair, "A", 0);
        special(pair, bos, 1);
        sequence(pair, "B", 1);
        ObjectNode entry = p.putObject("special_tokens").putObject(bos);
        entry.put("id", bos);
        entry.putArray("ids").add(bosId);
        entry.putArray("tokens").add(bos);
        return p;
    }

    private static void special(ArrayNode template, String token, int typeId) {
        template.addObject().putObject("SpecialToken").put("id", token).put("type_id", typeId);
    }

    private static void sequence(ArrayNode template, String id, int typeId) {
        template.addObject().putObject("Sequence").put("id", id).put("type_id", typeId);
    }

    private static void putRole(ObjectNode config, ObjectNode map, String key, Tokenizer tok, Integer id) {
        if (id == null) {
            config.putNull(key);
            return;
        }
        config.put(key, tok.token(id));
        map.put(key, tok.token(id));
    }

    private static boolean isRole(Tokenizer tok, SpecialTokens roles, String content) {
        for (Integer id : new Integer[] {roles.bos(), roles.eos(), roles.pad(), roles.unk()}) {
            if (id != null && content.equals(tok.token(id))) return true;
        }
        return false;
    }

    /** transformers' name of a weight dtype. */
    static String torchDtype(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("weights of type " + dtype + " are not a model dtype");
        };
    }

    /** Reads the staged directory back as racro4j loads any Hugging Face checkpoint and compares it with what was written. */
    private static void verify(CausalLM model, WordLevelTokenizer tok, Path dir) throws IOException {
        verifyWeights(model, dir);
        Tokenizer back = Tokenizers.load(dir.resolve("tokenizer.json"));
        if (!(back instanceof WordLevelTokenizer w) || !w.vocab().equals(tok.vocab()) || !w.specials().equals(tok.specials())
                || !w.specialTokens().equals(tok.specialTokens())) {
            throw new IOException(dir.resolve("tokenizer.json") + " does not read back as the tokenizer written");
        }
    }

    /** config.json reads back as the model's config and every tensor bit for bit. */
    private static void verifyWeights(CausalLM model, Path dir) throws IOException {
        DecoderConfig read = DecoderConfig.read(dir.resolve("config.json"));
        if (!read.equals(model.config())) {
            throw new IOException(dir.resolve("config.json") + " reads back as " + read + ", not " + model.config());
        }
        try (CausalLM back = CausalLM.load(dir, model.dtype(), Device.CPU)) {
            Map<String, Tensor> want = model.stateDict();
            Map<String, Tensor> got = back.stateDict();
            if (!want.keySet().equals(got.keySet())) {
                throw new IOException(dir + ": the weights read back are " + got.keySet() + ", not " + want.keySet());
            }
            for (var e : want.entrySet()) {
                if (!Arrays.equals(e.getValue().toFloatArray(), got.get(e.getKey()).toFloatArray())) {
                    throw new IOException(dir.resolve(CheckpointFiles.SINGLE) + ": tensor " + e.getKey() + " reads back different");
                }
            }
        }
    }

    private static void writeJson(Path file, ObjectNode tree) throws IOException {
        JSON.writeValue(file.toFile(), tree);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
