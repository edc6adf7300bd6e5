package org.racro4j.training.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.HfExport;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.training.roles.Reasoner;
import org.racro4j.training.run.AtomicFiles;

/**
 * The models a run produces, each a Hugging Face-style directory under {@code <run>/models/}, written into a
 * ".tmp" directory and renamed into place: config.json, model.safetensors, tokenizer.json, and beside them
 * tokenizer_config.json and special_tokens_map.json (which token is bos, eos, pad, unk, for Hugging Face's
 * AutoTokenizer), and for decoders generation_config.json ({@link HfExport}). The tokenizer.json has no
 * post-processor, as before these files were added (its bytes are unchanged), so Hugging Face's
 * {@code tokenizer(text)} does not put bos first here; {@code racro4j export-hf} writes one that does.
 */
final class ModelStore {
    private final Path root;

    ModelStore(Path runDir) {
        this.root = runDir.resolve("models");
    }

    Path dir(String name) {
        return root.resolve(name);
    }

    /** The finished models, by name (staging directories of an interrupted save are not models). */
    List<String> names() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        List<String> names = new ArrayList<>();
        try (var dirs = Files.list(root)) {
            dirs.map(d -> d.getFileName().toString()).filter(n -> !n.endsWith(".tmp") && has(n)).sorted().forEach(names::add);
        }
        return names;
    }

    boolean has(String name) {
        return Files.isRegularFile(dir(name).resolve("model.safetensors")) && Files.isRegularFile(dir(name).resolve("config.json"));
    }

    void save(String name, CausalLM model, WordLevelTokenizer tok) throws IOException {
        save(name, dir -> {
            model.save(dir, Map.of("racro4j_model", name));
            tok.save(dir.resolve("tokenizer.json"));
            HfExport.writeTokenizerConfig(tok, model.config().maxPositions(), dir);
            HfExport.writeGenerationConfig(model.config(), tok, dir);
        });
    }

    void save(String name, Captioner model, WordLevelTokenizer tok) throws IOException {
        save(name, dir -> {
            model.save(dir, Map.of("racro4j_model", name));
            tok.save(dir.resolve("tokenizer.json"));
            HfExport.writeTokenizerConfig(tok, model.languageModel().config().maxPositions(), dir);
        });
    }

    /**
     * A model whose decoder came from a pretrained checkpoint (a fine-tuned reasoner, a captioner around a pretrained
     * decoder): its weights, with the tokenizer, chat template and generation files of that checkpoint, so that it is
     * read and prompted as the checkpoint was.
     */
    void saveWithCheckpointText(String name, Weights model, Path from) throws IOException {
        save(name, dir -> {
            model.save(dir, Map.of("racro4j_model", name, "decoder_from", from.toString()));
            for (String f : HfExport.CHECKPOINT_TEXT_FILES) {
                if (Files.isRegularFile(from.resolve(f))) Files.copy(from.resolve(f), dir.resolve(f));
            }
        });
    }

    /** What writes a model's config and weights into a directory ({@code CausalLM::save}, {@code Captioner::save}). */
    interface Weights {
        void save(Path dir, Map<String, String> metadata) throws IOException;
    }

    /** Writes the model into a staging directory, renamed into place when whole; a failed write leaves no staging behind. */
    private void save(String name, AtomicFiles.Content files) throws IOException {
        Path staged = stage(name);
        try {
            AtomicFiles.write(staged, files);
        } catch (IOException e) {
            try {
                AtomicFiles.deleteTree(staged);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        AtomicFiles.replaceDirectory(staged, dir(name));
    }

    CausalLM loadDecoder(String name, Device device) throws IOException {
        return CausalLM.load(dir(name), DType.F32, device);
    }

    Captioner loadCaptioner(String name, Device device) throws IOException {
        return Captioner.load(dir(name), DType.F32, device);
    }

    /**
     * A frozen reasoner from any decoder directory, named for tables by {@code name} and its shape, e.g.
     * "reasoner (Qwen2, 2 layers x 128)".
     */
    static Reasoner loadReasoner(String name, Path dir, Device device, int maxAnswerTokens, String prompt) throws IOException {
        DecoderConfig c = DecoderConfig.read(dir.resolve("config.json"));
        String label = String.format("%s (%s, %d layers x %d)", name, c.architecture().replace("ForCausalLM", ""), c.numLayers(), c.hiddenSize());
        return Reasoner.load(label, dir, device, maxAnswerTokens, prompt);
    }

    private Path stage(String name) throws IOException {
        Path staged = root.resolve(name + ".tmp");
        AtomicFiles.deleteTree(staged);
        Files.createDirectories(staged);
        return staged;
    }
}
