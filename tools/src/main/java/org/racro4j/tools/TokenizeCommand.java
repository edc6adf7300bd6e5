package org.racro4j.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import org.racro4j.models.tokenizer.Tokenizers;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text (no special tokens added), space-separated on one line.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "A Hugging Face tokenizer.json.")
    Path tokenizer;

    @Option(names = "--input", description = "Read the text from this UTF-8 file (the whole file is one text).")
    Path input;

    @Parameters(arity = "0..1", description = "The text (when --input is not given).")
    String text;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if ((input == null) == (text == null)) throw new IllegalArgumentException("give either --input FILE or a TEXT argument");
        String t = input != null ? Files.readString(input, StandardCharsets.UTF_8) : text;
        int[] ids = Tokenizers.load(tokenizer).encode(t);
        spec.commandLine().getOut().println(IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        return 0;
    }
}
