package org.racro4j.training.tasks;

/**
 * A split by question rather than by draw: a fixed share of the (question, gold description) keys
 * ({@link TaskItem#contentKey()}) is held out, chosen by a seeded hash of the key, so no training item can have a
 * held-out key and every category keeps held-out items however small its key space. (Skipping the test items whose key
 * a training item has, {@link TaskGenerator#generateDisjoint}, empties a category whose whole key space a few hundred
 * training items cover: clock_later, knight_moves, grid_steps.) Items of a held-out key repeat in the held-out split
 * where the key space is small; its items still differ from every training item in question or scene.
 */
public final class HeldOutKeys {
    private final long seed;
    private final int oneIn;

    /** Holds out about one key in {@code oneIn}, chosen by {@code seed}. */
    public HeldOutKeys(long seed, int oneIn) {
        if (oneIn < 2) throw new IllegalArgumentException("hold out one key in n needs n >= 2, got " + oneIn);
        this.seed = seed;
        this.oneIn = oneIn;
    }

    public boolean isHeldOut(TaskItem item) {
        return Math.floorMod(Seeds.mix(fnv1a(item.contentKey()) ^ Seeds.mix(seed)), oneIn) == 0;
    }

    /** 64-bit FNV-1a over the key's chars: the same on every JVM and run. */
    private static long fnv1a(String key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h ^= key.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }
}
