package org.racro4j.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;
import org.racro4j.core.Backends;
import org.racro4j.kernels.cuda.GpuTestRule;

class BandwidthBenchTest {
    private static BackendProvider.Availability cuda() {
        return Backends.provider("cuda").availability();
    }

    /**
     * Only meaningful where no GPU is, so it is tagged "no-gpu": bench/gpu-bringup.sh leaves such tests out
     * (--exclude-tag no-gpu), since its summary counts every skipped test of a class as a failure of that class.
     */
    @Test
    @Tag("no-gpu")
    void withoutAGpuItSaysWhy() {
        assumeFalse(cuda().available(), "a GPU is present: see smallRunOnTheGpu");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> BandwidthBench.run(1 << 20, 1));
        assertTrue(e.getMessage().contains(cuda().description()), e.getMessage());
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> BandwidthBench.run(1000, 5));
        assertThrows(IllegalArgumentException.class, () -> BandwidthBench.run(1 << 20, 0));
    }

    @Test
    void aLineReportsItsBytesAndGbpsIsThoseBytesOverTheMedianTime() {
        // 32 MiB in 0.0125 ms: 33554432 / 12.5e-6 s = 2684.35456 GB/s; against a 3000 GB/s copy 0.89478...
        Map<String, String> fast = BenchLines.parse(BandwidthBench.json("softmax", "f32", "[2048, 4096]",
                new BandwidthBench.Result(0.0125, 33_554_432L), 3000.0, true));
        assertEquals(Map.of("op", "softmax", "dtype", "f32", "shape", "[2048, 4096]", "bytes_moved", "33554432", "median_ms", "0.0125",
                "gbps", "2684.4", "ratio_to_copy", "0.895", "meets_80pct", "true"), fast);
        // the same bytes in 0.3125 ms: 107.3741824 GB/s, 0.21474... of a 500 GB/s copy, under the 80% bar
        Map<String, String> slow = BenchLines.parse(BandwidthBench.json("rmsnorm", "bf16", "[7, 4096]",
                new BandwidthBench.Result(0.3125, 33_554_432L), 500.0, true));
        assertEquals("107.4", slow.get("gbps"));
        assertEquals("0.215", slow.get("ratio_to_copy"));
        assertEquals("false", slow.get("meets_80pct"));
        // the copy itself, against its own GB/s as run() passes it, and without a bar: 8e9 bytes in 2 ms = 4000 GB/s
        BandwidthBench.Result copyResult = new BandwidthBench.Result(2.0, 8_000_000_000L);
        Map<String, String> copy = BenchLines.parse(BandwidthBench.json("copy_d2d", "f32", "[1000000000]", copyResult, copyResult.gbps(), null));
        assertEquals("4000.0", copy.get("gbps"));
        assertEquals("1.000", copy.get("ratio_to_copy"));
        assertFalse(copy.containsKey("meets_80pct"), "the copy is version 0, no bar: " + copy);
    }

    @Test
    @Tag("gpu")
    void smallRunOnTheGpu() {
        assumeTrue(GpuTestRule.canRun(cuda()), "no CUDA GPU: " + cuda().description());
        long bytes = 12_345_678;   // not a power of two: ragged tails in every kernel, rows of 4096 that do not divide it
        List<String> lines = BandwidthBench.run(bytes, 5);
        lines.forEach(System.out::println);
        assertLinesOfARun(bytes, lines);
    }

    /** The eight lines of BandwidthBench.run(bytes, ...), checked field by field. */
    static void assertLinesOfARun(long bytes, List<String> lines) {
        // What each op must move at least, from its definition: inputs read once, outputs written once (F32 4 bytes,
        // BF16 2). The F32 ops get bytes / 4 elements, the BF16 ones bytes / 2; the row ops rows of 4096.
        long n32 = bytes / 4;
        long n16 = bytes / 2;
        long rows32 = n32 / 4096;
        long rows16 = n16 / 4096;
        Object[][] expected = {
            // op, dtype, shape, bytes moved
            {"copy_d2d", "f32", "[" + n32 + "]", (1 + 1) * n32 * 4},                                 // read x, write y
            {"elementwise_add", "f32", "[" + n32 + "]", (2 + 1) * n32 * 4},                          // read a, b; write out
            {"elementwise_silu", "bf16", "[" + n16 + "]", (1 + 1) * n16 * 2},
            {"softmax", "f32", "[" + rows32 + ", 4096]", (1 + 1) * rows32 * 4096 * 4},
            {"rmsnorm", "f32", "[" + rows32 + ", 4096]", (1 + 1) * rows32 * 4096 * 4 + 4096 * 4 + rows32 * 4},   // + weight, + F32 rstd
            {"softmax", "bf16", "[" + rows16 + ", 4096]", (1 + 1) * rows16 * 4096 * 2},
            {"rmsnorm", "bf16", "[" + rows16 + ", 4096]", (1 + 1) * rows16 * 4096 * 2 + 4096 * 2 + rows16 * 4},
            {"adamw", "f32", "[" + n32 + "]", (4 + 3) * n32 * 4},                                    // read p, g, m, v; write p, m, v
        };
        assertEquals(expected.length, lines.size(), lines.toString());
        Map<String, String> copy = BenchLines.parse(lines.get(0));
        double copyGbps = BenchLines.num(copy, "gbps");
        for (int i = 0; i < expected.length; i++) {
            Map<String, String> line = BenchLines.parse(lines.get(i));
            String what = expected[i][0] + " " + expected[i][1];
            BenchLines.assertMeasured(what, line);
            assertEquals(expected[i][0], line.get("op"), what);
            assertEquals(expected[i][1], line.get("dtype"), what);
            assertEquals(expected[i][2], line.get("shape"), what);
            long moved = (Long) expected[i][3];
            assertEquals(moved, (long) BenchLines.num(line, "bytes_moved"), what + ": bytes moved");
            // GB/s = bytes / median time (ms printed with 4 decimals, GB/s with 1)
            BenchLines.assertRate(what, moved, 1e9, line, "gbps", 1, 4);
            double gbps = BenchLines.num(line, "gbps");
            double ratio = BenchLines.num(line, "ratio_to_copy");
            if (i == 0) {
                assertEquals("1.000", line.get("ratio_to_copy"), "the copy against itself");
                assertFalse(line.containsKey("meets_80pct"), "the copy has no bar: " + line);
                continue;
            }
            BenchLines.assertRatio(what + " / copy", ratio, 3, gbps, 1, copyGbps, 1);
            assertTrue(line.containsKey("meets_80pct"), what + ": no bar in " + line);
            // the bar is ratio >= 0.8; a printed ratio within its rounding of 0.8 could go either way
            if (Math.abs(ratio - 0.8) > BenchLines.half(3)) {
                assertEquals(String.valueOf(ratio >= 0.8), line.get("meets_80pct"), what + ": the 80% bar against ratio " + ratio);
            }
        }
    }
}
