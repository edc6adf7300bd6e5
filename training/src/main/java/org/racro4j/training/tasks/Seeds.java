package org.racro4j.training.tasks;

/** Derives independent 64-bit seeds from (base seed, split, index) with the SplitMix64 finaliser. */
final class Seeds {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private Seeds() {
    }

    static long splitSeed(long baseSeed, Split split) {
        return mix(baseSeed ^ mix(split.salt()));
    }

    static long itemSeed(long splitSeed, long index) {
        return mix(splitSeed + (index + 1) * GOLDEN_GAMMA);
    }

    /** SplitMix64's output function: a bijection on longs that scatters nearby inputs far apart. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
