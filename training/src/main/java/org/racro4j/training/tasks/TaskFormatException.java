package org.racro4j.training.tasks;

import java.io.IOException;
import java.nio.file.Path;

/** A task dataset line that cannot become a correct item; names the file, the line and the field. */
public final class TaskFormatException extends IOException {

    private final transient Path file;
    private final int line;
    private final String field;
    private final String reason;

    public TaskFormatException(Path file, int line, String field, String reason) {
        super(file + ":" + line + ": field '" + field + "': " + reason);
        this.file = file;
        this.line = line;
        this.field = field;
        this.reason = reason;
    }

    public Path file() {
        return file;
    }

    /** 1-based line number. */
    public int line() {
        return line;
    }

    /** The JSON field at fault, or "line" when the line as a whole is (e.g. invalid JSON). */
    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
