package org.racro4j.training.tasks;

/**
 * A dataset split. Each split has its own fixed salt, so the item seeds of different splits come from
 * different streams; the salt is a constant (not the ordinal) so that adding a split never changes the
 * items of the existing ones.
 */
public enum Split {
    TRAIN(0x7261696eL),
    VALIDATION(0x76616c69L),
    TEST(0x74657374L);

    private final long salt;

    Split(long salt) {
        this.salt = salt;
    }

    long salt() {
        return salt;
    }

    /** Lower-case name used in item ids, e.g. "train". */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
