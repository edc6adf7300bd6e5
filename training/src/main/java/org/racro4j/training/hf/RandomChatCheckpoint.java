package org.racro4j.training.hf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.BpeTrainer;
import org.racro4j.training.pipeline.ConfigLoader;
import org.racro4j.training.pipeline.RunConfig;
import org.racro4j.training.pipeline.RunTasks;
import org.racro4j.training.run.AtomicFiles;
import org.racro4j.training.tasks.TaskItem;

/**
 * A small Hugging Face chat checkpoint made up here, with no download: random decoder weights (config.json and
 * model.safetensors, F32 or BF16), a byte-level BPE tokenizer.json learned from the built-in tasks' questions and
 * descriptions and the papers' prompts, a tokenizer_config.json with the family's chat template, and
 * generation_config.json. It has every file and convention of a real checkpoint of its family, so the pretrained-model
 * path (run config {@code pretrained:}, {@code eval --reasoner DIR}) can be tried and tested end to end; its answers
 * are those of random weights.
 */
public final class RandomChatCheckpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The chat conventions of a model family: special tokens, which is BOS and EOS, the chat template, the stop tokens. */
    public enum Family {
        /** Qwen2.5-Instruct's: ChatML, no BOS, {@code <|im_end|>} ends a turn and {@code <|endoftext|>} the text. */
        QWEN2(DecoderConfig.QWEN2, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), null, "<|im_end|>", List.of("<|im_end|>", "<|endoftext|>"),
                "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"),
        /** Llama 3 Instruct's: BOS written by the template, header tokens, {@code <|eot_id|>} ends a turn. */
        LLAMA3(DecoderConfig.LLAMA, List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
                "<|begin_of_text|>", "<|end_of_text|>", List.of("<|end_of_text|>", "<|eot_id|>"),
                "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
                        + "message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}");

        final String architecture;
        final List<String> specials;
        final String bos;
        final String eos;
        final List<String> stops;
        final String template;

        Family(String architecture, List<String> specials, String bos, String eos, List<String> stops, String template) {
            this.architecture = architecture;
            this.specials = specials;
            this.bos = bos;
            this.eos = eos;
            this.stops = stops;
            this.template = template;
        }
    }

    /**
     * The shape of the decoder. {@code initStd} is the weights' spread: Hugging Face initialises with 0.02, which
     * makes a small random model's attention and logits nearly uniform, so that what it writes hardly depends on
     * its prompt; a larger spread (0.3) makes it depend on every token, as a trained model's output does.
     */
    public record Shape(int hidden, int intermediate, int layers, int heads, int kvHeads, int merges, float initStd) {
        public Shape {
            if (hidden < 2 || intermediate < 1 || layers < 1 || heads < 1 || kvHeads < 1 || merges < 0 || !(initStd > 0)) {
                throw new IllegalArgumentException("hidden >= 2, intermediate, layers, heads, kv heads >= 1, merges >= 0 and a positive spread, got "
                        + this);
            }
            if (hidden % heads != 0 || (hidden / heads) % 2 != 0) throw new IllegalArgumentException("hidden (" + hidden + ") must split into heads ("
                    + heads + ") of even size");
            if (heads % kvHeads != 0) throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kv heads (" + kvHeads + ")");
        }
    }

    private RandomChatCheckpoint() {}

    /** Writes the checkpoint into {@code dir} (which must not exist yet: it is created); returns its vocabulary size. */
    public static int write(Path dir, Family family, Shape shape, DType dtype, long seed) throws IOException {
        return write(dir, family, shape, dtype, seed, tasksCorpus());
    }

    /** {@link #write(Path, Family, Shape, DType, long)} with the merges learned from {@code corpus}. */
    public static int write(Path dir, Family family, Shape shape, DType dtype, long seed, List<String> corpus) throws IOException {
        if (Files.exists(dir)) throw new IOException(dir + " already exists (remove it first or name another directory)");
        // written beside the target and renamed, so that a stopped write leaves no half checkpoint under the name
        Path staged = dir.toAbsolutePath().resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        AtomicFiles.deleteTree(staged);
        Files.createDirectories(staged);
        try {
            int vocab = writeFiles(staged, family, shape, dtype, seed, corpus);
            Files.move(staged, dir);
            return vocab;
        } catch (IOException | RuntimeException e) {
            AtomicFiles.deleteTree(staged);
            throw e;
        }
    }

    private static int writeFiles(Path dir, Family family, Shape shape, DType dtype, long seed, List<String> corpus) throws IOException {
        BpeTrainer.Learned learned = BpeTrainer.learn(corpus, shape.merges());
        int firstSpecial = learned.vocab().size();
        int vocabSize = firstSpecial + family.specials.size();
        writeJson(dir.resolve("tokenizer.json"), BpeTrainer.tokenizerJson(learned, family.specials));

        ObjectNode tc = JSON.createObjectNode();
        tc.put("tokenizer_class", "PreTrainedTokenizerFast");
        if (family.bos == null) tc.putNull("bos_token");
        else tc.put("bos_token", family.bos);
        tc.put("eos_token", family.eos);
        tc.put("chat_template", family.template);
        writeJson(dir.resolve("tokenizer_config.json"), tc);

        List<Integer> stops = new ArrayList<>();
        for (String s : family.stops) stops.add(firstSpecial + family.specials.indexOf(s));
        ObjectNode gc = JSON.createObjectNode();
        stops.forEach(gc.putArray("eos_token_id")::add);
        writeJson(dir.resolve("generation_config.json"), gc);

        int bos = family.bos == null ? -1 : firstSpecial + family.specials.indexOf(family.bos);
        boolean qwen = family == Family.QWEN2;
        DecoderConfig config = new DecoderConfig(family.architecture, vocabSize, shape.hidden(), shape.intermediate(), shape.layers(), shape.heads(),
                shape.kvHeads(), shape.hidden() / shape.heads(), 4096, 10000.0, 1e-6, qwen, qwen, bos, stops);
        try (CausalLM lm = CausalLM.create(config, seed, dtype, Device.CPU)) {
            for (Tensor w : lm.parameters()) if (w.dim() == 2) w.mulInPlace(shape.initStd() / 0.02f);
            lm.save(dir, Map.of("racro4j", "RandomChatCheckpoint"));
        }
        return vocabSize;
    }

    /** The built-in tasks' questions and gold descriptions (200 items of the defaults' task mix) and the papers' prompts. */
    public static List<String> tasksCorpus() throws IOException {
        RunConfig defaults = ConfigLoader.load(null);
        List<String> corpus = new ArrayList<>();
        for (TaskItem t : RunTasks.of(defaults, 200).test()) {
            corpus.add(t.question());
            corpus.add(t.goldDescription());
        }
        corpus.add("You are a helpful assistant. ### The detailed caption of the provided image: ### Question: Please think step by step. "
                + "The final answer MUST BE put in \\boxed{}.");
        corpus.add("You are given an image and a relevant question. Based on the query, please describe the image in detail. "
                + "Do not try to answer the question. Please describe the image. DO NOT try to answer the question!");
        return corpus;
    }

    private static void writeJson(Path file, Object json) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    }
}
