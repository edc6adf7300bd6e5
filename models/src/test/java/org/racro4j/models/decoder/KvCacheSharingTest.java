package org.racro4j.models.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.SharedPrefix;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * A fork ({@link KvCache#repeatRows}) tells the decode kernel which entries its groups share, and stops telling it as
 * soon as an operation may make a group's rows differ there: the kernel would otherwise read another row's copy of
 * entries that are no longer the same (GroupGenerationTest checks the bits of the sharing itself).
 */
class KvCacheSharingTest {
    static final DecoderConfig CONFIG =
            new DecoderConfig(DecoderConfig.QWEN2, 29, 32, 48, 2, 4, 2, 8, 64, 10000.0, 1e-6, true, true, 0, List.of(1));

    @Test
    void aForkSharesItsPrefixUntilAnEntryBeforeTheEndIsRewritten() {
        try (CausalLM m = TestModels.randomModel(CONFIG, 7); Autograd.Mode off = Autograd.noGrad()) {
            check(m, fork -> { }, new SharedPrefix(3, 9), "a fresh fork");
            check(m, fork -> {
                fork.markKeys(Tensor.ones(DType.F32, Device.CPU, 6, 1));
                m.hidden(m.embed(Tensor.ofLongs(new long[] {1, 2, 3, 4, 5, 6}, 6, 1)), fork.keyMask(10), fork);
                fork.advance(1);
            }, new SharedPrefix(3, 9), "a step appended after the prefix");
            check(m, fork -> fork.setActiveRows(3), new SharedPrefix(3, 9), "active rows that are one whole group");
            check(m, fork -> fork.setActiveRows(4), null, "active rows that split a group");
            check(m, fork -> fork.shiftLeft(2), null, "a shift");
            check(m, fork -> fork.moveRow(4, 1), null, "a row moved");
            check(m, fork -> fork.restartAt(3), null, "a restart");
            check(m, KvCache::reset, null, "a reset");
            try (KvCache other = prefilled(m, 2)) {
                check(m, fork -> fork.placeRow(1, other, 0, 0), null, "a row placed");
            }
            try (KvCache cache = prefilled(m, 2); KvCache single = cache.repeatRows(1)) {
                assertNull(single.sharedPrefix(), "one copy per row shares nothing");
            }
        }
    }

    private static void check(CausalLM m, Consumer<KvCache> operation, SharedPrefix expected, String what) {
        try (KvCache cache = prefilled(m, 2); KvCache fork = cache.repeatRows(3); Scope s = Scope.open()) {
            assertNull(cache.sharedPrefix(), "the prefilled cache shares nothing");
            operation.accept(fork);
            assertEquals(expected, fork.sharedPrefix(), what);
        }
    }

    /** rows prompts of 9 random tokens prefilled into a cache of capacity 20. */
    private static KvCache prefilled(CausalLM m, int rows) {
        KvCache cache = m.newCache(rows, 20);
        Generator g = new Generator(rows);
        long[] ids = new long[rows * 9];
        for (int i = 0; i < ids.length; i++) ids[i] = g.nextInt(CONFIG.vocabSize());
        try (Scope s = Scope.open()) {
            cache.markKeys(Tensor.ones(DType.F32, Device.CPU, rows, 9));
            m.hidden(m.embed(Tensor.ofLongs(ids, rows, 9)), cache.keyMask(9), cache);
            cache.advance(9);
        }
        return cache;
    }
}
