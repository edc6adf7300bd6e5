package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

@Command(name = "detokenize", mixinStandardHelpOptions = true, description = "Print the text of token ids (special tokens kept).")
final class DetokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "A Hugging Face tokenizer.json.")
    Path tokenizer;

    @Parameters(arity = "1..*", description = "Token ids.")
    int[] ids;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Tokenizer tok = Tokenizers.load(tokenizer);
        String text;
        try {
            text = tok.decode(ids);
        } catch (IllegalArgumentException e) {
            // An id outside the vocabulary: say whose vocabulary.
            throw new IllegalArgumentException(tokenizer + ": " + e.getMessage(), e);
        }
        spec.commandLine().getOut().println(text);
        return 0;
    }
}
