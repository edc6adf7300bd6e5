package org.racro4j.training.roles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

/**
 * A Hugging Face checkpoint directory a role's decoder comes from, checked without reading any weight: what a run
 * verifies before it trains anything, so that a wrong path or a broken checkpoint fails in a second, naming the file.
 */
public final class PretrainedDecoder {
    private PretrainedDecoder() {}

    /**
     * Checks config.json, the weights' names and shapes against it, and tokenizer.json (its ids within the model's
     * vocabulary); returns the config and the tokenizer.
     */
    public static Checked check(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": no such checkpoint directory");
        DecoderConfig config = CausalLM.checkedConfig(dir);
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) throw new IOException(dir + ": no tokenizer.json");
        Tokenizer tok = Tokenizers.load(tokenizerJson);
        if (tok.vocabSize() > config.vocabSize()) {
            throw new IOException(tokenizerJson + ": ids up to " + (tok.vocabSize() - 1) + ", beyond the model's vocab_size " + config.vocabSize());
        }
        return new Checked(config, tok);
    }

    public record Checked(DecoderConfig config, Tokenizer tokenizer) {}
}
