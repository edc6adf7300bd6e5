package org.racro4j.models.tokenizer;

import java.nio.file.Path;

/** A tokenizer.json that cannot be read or uses something this package does not implement. */
public final class TokenizerFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public TokenizerFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public TokenizerFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
