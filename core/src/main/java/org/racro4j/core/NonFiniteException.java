package org.racro4j.core;

/**
 * A computation met NaN or infinity where every value must be finite (logits, log-probabilities, a loss, a gradient
 * norm); the message says where. It is an IllegalArgumentException because the usual cause is what the program was
 * given (a checkpoint with NaN weights, a learning rate that blows the model up), so the command line reports it as
 * one line instead of a stack trace.
 *
 * <p>{@link #row()} is the batch row it arose in, where there is one, so that a caller that batched items can name
 * the item.
 */
public class NonFiniteException extends IllegalArgumentException {
    private final int row;

    public NonFiniteException(String message) {
        this(message, -1, null);
    }

    /** @param row the batch row where the value arose, or -1 */
    public NonFiniteException(String message, int row) {
        this(message, row, null);
    }

    private NonFiniteException(String message, int row, Throwable cause) {
        super(message, cause);
        this.row = row;
    }

    /** The batch row the value arose in (as the thrower numbered its rows), or -1 when it is not about a row. */
    public int row() {
        return row;
    }

    /** The same error, its row renumbered by a caller that split its rows into batches (the message is unchanged). */
    public NonFiniteException atRow(int row) {
        return new NonFiniteException(getMessage(), row, this);
    }

    /**
     * The same error seen from a caller: {@code context} (what it was doing, which item) goes in front of the
     * message, and the row becomes {@code row}, the caller's own numbering (-1 for none).
     */
    public NonFiniteException within(String context, int row) {
        return new NonFiniteException(context + ": " + getMessage(), row, this);
    }
}
