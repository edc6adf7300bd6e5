package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;

/** AdamW's parameter table: bytes against adamw.cu's AdamWTensor, block numbering, and upload once per parameter set. */
class AdamWTableTest {
    /** Field name to byte offset and size, read from the struct in adamw.cu (natural alignment of u64/i64 and int). */
    private static Map<String, int[]> structLayout() {
        String src = KernelSources.source("adamw");
        Matcher body = Pattern.compile("struct AdamWTensor \\{(.*?)\\};", Pattern.DOTALL).matcher(src);
        assertTrue(body.find(), "struct AdamWTensor in adamw.cu");
        Map<String, int[]> fields = new LinkedHashMap<>();
        int offset = 0;
        Matcher decl = Pattern.compile("(u64|i64|int)\\s+([\\w\\s,]+);").matcher(body.group(1).replaceAll("//[^\n]*", ""));
        while (decl.find()) {
            int size = decl.group(1).equals("int") ? 4 : 8;
            for (String name : decl.group(2).split(",")) {
                offset = (offset + size - 1) / size * size;
                fields.put(name.trim(), new int[] {offset, size});
                offset += size;
            }
        }
        assertEquals(AdamWTable.TENSOR_BYTES, offset, "sizeof(AdamWTensor) from its fields");
        return fields;
    }

    private static long field(ByteBuffer table, int entry, Map<String, int[]> layout, String name) {
        int[] f = layout.get(name);
        int at = entry * AdamWTable.TENSOR_BYTES + f[0];
        return f[1] == 8 ? table.getLong(at) : table.getInt(at);
    }

    private static AdamWTable.Param param(long base, long n, DType p, DType g) {
        return new AdamWTable.Param(base, base + 0x100000, base + 0x200000, base + 0x300000, n, p, g);
    }

    @Test
    void entriesMatchTheStructFieldByField() {
        Map<String, int[]> layout = structLayout();
        assertEquals(List.of("p", "g", "m", "v", "n", "first_block", "p_dt", "g_dt", "vec", "pad_"), new ArrayList<>(layout.keySet()));
        // F32 aligned (vectorised), BF16 with an F32 grad, F32 with one address off 16 bytes; 5000, 1 and 8193 elements.
        AdamWTable.Param a = param(0x7f0000001000L, 5000, DType.F32, DType.F32);
        AdamWTable.Param b = param(0x7f0000802000L, 1, DType.BF16, DType.F32);
        AdamWTable.Param c = new AdamWTable.Param(0x7f0001000000L, 0x7f0001100008L, 0x7f0001200000L, 0x7f0001300000L, 8193, DType.F32, DType.F32);
        AdamWTable.Packed packed = AdamWTable.pack(new AdamWTable.Key(List.of(a, b, c)));
        assertEquals(3 * 64, packed.bytes().length);
        assertEquals(3, packed.entries());
        assertEquals(2 + 1 + 3, packed.blocks(), "ceil(5000/4096) + ceil(1/4096) + ceil(8193/4096)");
        ByteBuffer t = ByteBuffer.wrap(packed.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        long[][] want = {
                // p, g, m, v, n, first_block, p_dt, g_dt, vec, pad_
                {a.p(), a.g(), a.m(), a.v(), 5000, 0, 0, 0, 1, 0},
                {b.p(), b.g(), b.m(), b.v(), 1, 2, 1, 0, 0, 0},
                {c.p(), c.g(), c.m(), c.v(), 8193, 3, 0, 0, 0, 0},
        };
        String[] names = layout.keySet().toArray(new String[0]);
        for (int e = 0; e < 3; e++) {
            for (int f = 0; f < names.length; f++) {
                assertEquals(want[e][f], field(t, e, layout, names[f]), "entry " + e + " field " + names[f]);
            }
        }
    }

    @Test
    void aBlockFindsItsTensorAsTheKernelSearches() {
        long[] sizes = {4096, 4097, 1, 12288, 3};
        List<AdamWTable.Param> ps = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) ps.add(param(0x10000000L * (i + 1), sizes[i], DType.F16, DType.F16));
        AdamWTable.Packed packed = AdamWTable.pack(new AdamWTable.Key(ps));
        ByteBuffer t = ByteBuffer.wrap(packed.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, int[]> layout = structLayout();
        // Every element of every tensor is covered exactly once by [(b - first_block) * CHUNK, + CHUNK).
        long[] covered = new long[sizes.length];
        for (long blk = 0; blk < packed.blocks(); blk++) {
            int lo = 0, hi = packed.entries() - 1;   // adamw_multi's binary search
            while (lo < hi) {
                int mid = (lo + hi + 1) >> 1;
                if (field(t, mid, layout, "first_block") <= blk) lo = mid;
                else hi = mid - 1;
            }
            long start = (blk - field(t, lo, layout, "first_block")) * AdamWTable.CHUNK;
            long end = Math.min(field(t, lo, layout, "n"), start + AdamWTable.CHUNK);
            assertTrue(end > start, "block " + blk + " has work");
            covered[lo] += end - start;
        }
        assertEquals(java.util.Arrays.toString(sizes), java.util.Arrays.toString(covered));
        assertEquals(1 + 2 + 1 + 3 + 1, packed.blocks());
    }

    /** A store that records what it is asked, addresses counting up from 0x1000. */
    private static final class FakeStore implements AdamWTableCache.Store<Long> {
        final List<byte[]> uploads = new ArrayList<>();
        final List<Long> freed = new ArrayList<>();

        @Override
        public Long upload(ByteBuffer table) {
            byte[] b = new byte[table.remaining()];
            table.duplicate().get(b);
            uploads.add(b);
            return 0x1000L * uploads.size();
        }

        @Override
        public long address(Long handle) {
            return handle;
        }

        @Override
        public void free(Long handle) {
            freed.add(handle);
        }
    }

    @Test
    void theSameParameterSetIsPackedAndUploadedOnce() {
        FakeStore store = new FakeStore();
        int[] packs = {0};
        AdamWTableCache<Long> cache = new AdamWTableCache<>(store, key -> {
            packs[0]++;
            return AdamWTable.pack(key);
        });
        AdamWTableCache.Resident<Long> first = cache.table(new AdamWTable.Key(List.of(param(0x1000000, 100, DType.F32, DType.F32),
                param(0x5000000, 7, DType.BF16, DType.BF16))), false);
        for (int step = 0; step < 5; step++) {
            // equal, not identical, keys: a new list of new records each step, as adamw builds them
            AdamWTableCache.Resident<Long> again = cache.table(new AdamWTable.Key(List.of(param(0x1000000, 100, DType.F32, DType.F32),
                    param(0x5000000, 7, DType.BF16, DType.BF16))), step % 2 == 1);
            assertEquals(cache.address(first), cache.address(again));
        }
        assertEquals(1, packs[0], "packed once");
        assertEquals(1, store.uploads.size(), "uploaded once");
        assertEquals(2, first.entries);
        assertEquals(2, first.blocks);

        // A grad that moved, an element count, a dtype: each a new set, packed and uploaded.
        cache.table(new AdamWTable.Key(List.of(new AdamWTable.Param(0x1000000, 0x1100010, 0x1200000, 0x1300000, 100, DType.F32, DType.F32),
                param(0x5000000, 7, DType.BF16, DType.BF16))), false);
        cache.table(new AdamWTable.Key(List.of(param(0x1000000, 101, DType.F32, DType.F32), param(0x5000000, 7, DType.BF16, DType.BF16))), false);
        cache.table(new AdamWTable.Key(List.of(param(0x1000000, 100, DType.F32, DType.F32), param(0x5000000, 7, DType.BF16, DType.F32))), false);
        assertEquals(4, packs[0]);
        assertEquals(4, store.uploads.size());
        assertNotEquals(java.util.Arrays.toString(store.uploads.get(0)), java.util.Arrays.toString(store.uploads.get(1)));
        assertTrue(store.freed.isEmpty(), "nothing evicted yet");
    }

    @Test
    void aNewSetCannotBeCapturedAndACapturedTableIsNeverEvicted() {
        FakeStore store = new FakeStore();
        AdamWTableCache<Long> cache = new AdamWTableCache<>(store, AdamWTable::pack);
        AdamWTable.Key captured = new AdamWTable.Key(List.of(param(0x9000000, 64, DType.F32, DType.F32)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.table(captured, true));
        assertTrue(e.getMessage().contains("uncaptured"), e.getMessage());
        assertEquals(0, store.uploads.size());
        long pinned = cache.address(cache.table(captured, false));
        cache.table(captured, true);   // used while capturing: pinned from now on
        // Many more sets than are kept: the least recently used unpinned ones go, the pinned one stays.
        for (int i = 0; i < AdamWTableCache.KEPT + 5; i++) {
            cache.table(new AdamWTable.Key(List.of(param(0x10000000L * (i + 1), 10 + i, DType.F32, DType.F32))), false);
        }
        assertEquals(5, store.freed.size(), "evicted beyond " + AdamWTableCache.KEPT);
        assertTrue(!store.freed.contains(pinned), "the captured table stays");
        assertEquals(AdamWTableCache.KEPT + 1, cache.size());
        assertEquals(List.of(0x2000L, 0x3000L, 0x4000L, 0x5000L, 0x6000L), store.freed, "the oldest unpinned first");
        int uploads = store.uploads.size();
        assertEquals(pinned, cache.address(cache.table(captured, true)), "still resident, no upload");
        assertEquals(uploads, store.uploads.size());
    }
}
