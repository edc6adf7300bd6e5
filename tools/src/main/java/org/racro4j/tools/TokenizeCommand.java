package org.racro4j.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import org.racro4j.core.io.Utf8Text;
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
        String t = input != null ? readUtf8(input) : text;
        int[] ids = Tokenizers.load(tokenizer).encode(t);
        spec.commandLine().getOut().println(IntStream.of(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        return 0;
    }

    /** The file's text; bytes that are not UTF-8 are an error saying where (Files.readString says "Input length = 1"). */
    private static String readUtf8(Path file) throws IOException {
        try {
            return Utf8Text.decode(Files.readAllBytes(file));
        } catch (Utf8Text.MalformedException e) {
            throw new IOException(file + ": not UTF-8 text: " + e.getMessage(), e);
        }
    }
}
