package org.racro4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerformanceReportTest {
    /** A CPU run as bench/run-cpu-report.sh writes it, with made-up numbers chosen so each ratio is easy to check. */
    static final String CPU = String.join("\n",
            "{\"bench\":\"machine\",\"scope\":\"cpu\",\"mode\":\"full\",\"date\":\"2030-01-02 03:04 UTC\",\"cpu_model\":\"Test CPU\",\"cores\":2}",
            "{\"bench\":\"command\",\"cmd\":\"tools/racro4j bench matmul --size 256\"}",
            "{\"op\":\"matmul\",\"n\":256,\"gflops\":100.0,\"threads\":2}",
            "{\"bench\":\"done\",\"cmd\":\"tools/racro4j bench matmul --size 256\",\"rc\":0,\"seconds\":2.0}",
            "{\"bench\":\"command\",\"cmd\":\"python3 bench/python/matmul_numpy.py --size 256\"}",
            "{\"op\":\"matmul_numpy\",\"n\":256,\"gflops\":40.0,\"threads\":2}",
            "{\"bench\":\"done\",\"cmd\":\"python3 bench/python/matmul_numpy.py --size 256\",\"rc\":0,\"seconds\":2.0}",
            // a second size, peer first this time: pairing must not depend on order
            "{\"op\":\"matmul_numpy\",\"n\":512,\"gflops\":80.0,\"threads\":2}",
            "{\"op\":\"matmul\",\"n\":512,\"gflops\":20.0,\"threads\":2}",
            "{\"bench\":\"train_step\",\"impl\":\"racro4j\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,\"vocab\":512,"
                    + "\"seq\":64,\"batch\":8,\"params\":1,\"ms_per_step\":200.0,\"tokens_per_s\":2560.0,\"peak_bytes\":1048576}",
            "{\"bench\":\"train_step\",\"impl\":\"pytorch 1.13.0\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,"
                    + "\"vocab\":512,\"seq\":64,\"batch\":8,\"params\":1,\"ms_per_step\":100.0,\"tokens_per_s\":5120.0}",
            // the peer alone at another length: no ratio may be made up for it
            "{\"bench\":\"train_step\",\"impl\":\"pytorch 1.13.0\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,"
                    + "\"vocab\":512,\"seq\":128,\"batch\":8,\"params\":1,\"ms_per_step\":100.0,\"tokens_per_s\":10240.0}",
            "{\"bench\":\"rollout\",\"impl\":\"racro4j\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,\"vocab\":512,"
                    + "\"batch\":8,\"prompt_len\":32,\"new_tokens\":32,\"prefill_tokens_per_s\":3000.0,\"decode_tokens_per_s\":100.0,\"seconds\":1.0}",
            "{\"bench\":\"rollout\",\"impl\":\"pytorch 1.13.0\",\"device\":\"cpu\",\"dtype\":\"f32\",\"layers\":2,\"dim\":128,\"heads\":4,"
                    + "\"kv_heads\":2,\"vocab\":512,\"batch\":8,\"prompt_len\":32,\"new_tokens\":32,\"prefill_tokens_per_s\":1000.0,"
                    + "\"decode_tokens_per_s\":400.0,\"seconds\":1.0}",
            "{\"bench\":\"scaling\",\"impl\":\"racro4j\",\"axis\":\"seq\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,"
                    + "\"vocab\":512,\"seq\":32,\"batch\":8,\"params\":459904,\"ms_per_step\":50.0,\"tokens_per_s\":5120.0,\"peak_bytes\":10485760}",
            "{\"bench\":\"scaling\",\"impl\":\"racro4j\",\"axis\":\"seq\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,"
                    + "\"vocab\":512,\"seq\":64,\"batch\":8,\"params\":459904,\"ms_per_step\":90.0,\"tokens_per_s\":5688.9,\"peak_bytes\":20971520}",
            "{\"bench\":\"scaling\",\"impl\":\"racro4j\",\"axis\":\"model\",\"device\":\"cpu\",\"layers\":4,\"dim\":256,\"heads\":8,\"kv_heads\":2,"
                    + "\"vocab\":512,\"seq\":64,\"batch\":8,\"params\":3000000,\"ms_per_step\":300.0,\"tokens_per_s\":1706.7,\"peak_bytes\":104857600}",
            "{\"bench\":\"jmh\",\"impl\":\"racro4j\",\"benchmark\":\"SoftmaxJmh.forward\",\"params\":{\"shape\":\"2048x64\"},\"mode\":\"avgt\","
                    + "\"score\":123.4,\"error\":5.6,\"unit\":\"us/op\",\"forks\":1,\"warmup_iterations\":2,\"iterations\":3}",
            "{\"bench\":\"command\",\"cmd\":\"python3 bench/python/rollout.py --batch 8\"}",
            "Traceback (most recent call last): a stray line that is not JSON",
            "{\"bench\":\"done\",\"cmd\":\"python3 bench/python/rollout.py --batch 8\",\"rc\":1,\"seconds\":0.5}");

    static RawResults cpu() {
        return RawResults.parse(List.of(CPU), List.of("cpu.jsonl"));
    }

    @Test
    void ratioIsOursOverPeerPairedByShape() {
        List<Comparison.Entry> e = Comparison.cpu(cpu());
        assertEquals(List.of("n=256", "n=512"), e.subList(0, 2).stream().map(Comparison.Entry::shape).toList());
        assertEquals(2.5, e.get(0).ratio(), 1e-12);   // 100 / 40
        assertEquals(0.25, e.get(1).ratio(), 1e-12);  // 20 / 80, although the peer line came first
        Comparison.Entry train = e.get(2);
        assertEquals("layers 2 dim 128 heads 4/2 vocab 512 seq 64 batch 8", train.shape());
        assertEquals(0.5, train.ratio(), 1e-12);      // tokens/s 2560 / 5120
        Comparison.Entry lonePeer = e.get(3);
        assertEquals("layers 2 dim 128 heads 4/2 vocab 512 seq 128 batch 8", lonePeer.shape());
        assertNull(lonePeer.ours());
        assertNull(lonePeer.ratio());
        assertEquals(3.0, e.get(4).ratio(), 1e-12);   // prefill 3000 / 1000
        assertEquals(0.25, e.get(5).ratio(), 1e-12);  // decode 100 / 400
        assertEquals(6, e.size());
    }

    /**
     * Measured at several thread counts (as run-cpu-report.sh does), each side counts at its best, metric by metric:
     * never one side at a thread count that does not suit it. A grouped rollout is its own row and says how much its
     * shared prefix saved.
     */
    @Test
    void eachSideCountsAtItsBestThreadCountMetricByMetric() {
        String roll = "\"bench\":\"rollout\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,\"vocab\":512,"
                + "\"prompt_len\":32,\"new_tokens\":32,";
        String raw = String.join("\n",
                "{" + roll + "\"impl\":\"racro4j\",\"batch\":8,\"prefill_tokens_per_s\":3000.0,\"decode_tokens_per_s\":100.0,\"threads\":1}",
                "{" + roll + "\"impl\":\"racro4j\",\"batch\":8,\"prefill_tokens_per_s\":5000.0,\"decode_tokens_per_s\":60.0,\"threads\":2}",
                "{" + roll + "\"impl\":\"pytorch 1.13.0\",\"batch\":8,\"prefill_tokens_per_s\":1000.0,\"decode_tokens_per_s\":400.0,\"threads\":1}",
                "{" + roll + "\"impl\":\"pytorch 1.13.0\",\"batch\":8,\"prefill_tokens_per_s\":2000.0,\"decode_tokens_per_s\":50.0,\"threads\":2}",
                "{" + roll + "\"impl\":\"racro4j\",\"batch\":64,\"group\":8,\"prefill_tokens_per_s\":9000.0,\"decode_tokens_per_s\":90.0,"
                        + "\"threads\":1,\"group_prefill_speedup\":5.10,\"group_generation_speedup\":1.50,\"fork_seconds\":0.00125,"
                        + "\"seconds\":0.300,\"plain_seconds\":0.450,\"plain_prefill_seconds\":1.1606}",
                "{" + roll + "\"impl\":\"pytorch 1.13.0\",\"batch\":64,\"group\":8,\"prefill_tokens_per_s\":3000.0,\"decode_tokens_per_s\":45.0,"
                        + "\"threads\":1}");
        List<Comparison.Entry> e = Comparison.rollout(RawResults.parse(List.of(raw), List.of("cpu.jsonl")));
        assertEquals(4, e.size());
        assertEquals(2.5, e.get(0).ratio(), 1e-12);    // prefill: ours at 2 threads (5000) / peer at 2 (2000)
        assertEquals("threads 2 vs 2", e.get(0).note());
        assertEquals(0.25, e.get(1).ratio(), 1e-12);   // decode: ours at 1 (100) / peer at 1 (400)
        assertEquals("threads 1 vs 1", e.get(1).note());
        assertEquals("layers 2 dim 128 heads 4/2 vocab 512 batch 64 group 8 prompt 32 new 32", e.get(2).shape());
        assertEquals(3.0, e.get(2).ratio(), 1e-12);
        // the shared prefill: 64 x 32 tokens at 9000 tokens/s take 227.56 ms, the fork within it
        assertTrue(e.get(3).note().endsWith("shared prefix vs repeated prompts: prefill 5.10x, generation 1.50x (300.0 vs 450.0 ms; "
                        + "prefill alone 227.6 vs 1160.6 ms); fork 1.25 of 227.56 ms shared prefill"), e.get(3).note());
    }

    /**
     * A rollout of spread lengths is its own pair of rows: racro4j's continuous batching and its plain batches, each
     * against the peer's batches, in useful tokens/s, each side at its best thread count.
     */
    @Test
    void spreadRolloutsCompareContinuousAndPlainWithThePeer() {
        String roll = "\"bench\":\"rollout\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,\"vocab\":512,"
                + "\"batch\":16,\"prompt_len\":32,\"new_tokens\":64,\"stop_spread\":\"8:64\",\"requests\":64,";
        String raw = String.join("\n",
                "{" + roll + "\"impl\":\"racro4j\",\"useful_tokens_per_s\":9000.0,\"plain_useful_tokens_per_s\":5000.0,"
                        + "\"continuous_speedup\":1.80,\"threads\":1}",
                "{" + roll + "\"impl\":\"racro4j\",\"useful_tokens_per_s\":8000.0,\"plain_useful_tokens_per_s\":6000.0,"
                        + "\"continuous_speedup\":1.33,\"threads\":2}",
                "{" + roll + "\"impl\":\"pytorch 1.13.0\",\"useful_tokens_per_s\":3000.0,\"threads\":2}",
                "{" + roll.replace("\"stop_spread\":\"8:64\",\"requests\":64,", "") + "\"impl\":\"racro4j\",\"prefill_tokens_per_s\":1.0,"
                        + "\"decode_tokens_per_s\":1.0,\"threads\":1}");
        List<Comparison.Entry> e = Comparison.rollout(RawResults.parse(List.of(raw), List.of("cpu.jsonl")));
        assertEquals(4, e.size());   // the spread pair and the plain rollout's prefill and decode
        assertEquals("layers 2 dim 128 heads 4/2 vocab 512 batch 16 prompt 32 new 64 spread 8:64 requests 64", e.get(0).shape());
        assertEquals("useful tokens/s, continuous batching", e.get(0).metric());
        assertEquals(3.0, e.get(0).ratio(), 1e-12);   // ours at 1 thread (9000) / peer (3000)
        assertEquals("threads 1 vs 2; continuous vs plain batches 1.80x", e.get(0).note());
        assertEquals("useful tokens/s, batches until the longest", e.get(1).metric());
        assertEquals(2.0, e.get(1).ratio(), 1e-12);   // ours plain at 2 threads (6000) / peer (3000)
        assertEquals("threads 2 vs 2", e.get(1).note());
        assertEquals("rollout L2 d128 b16 spread 8:64 plain", e.get(1).chartLabel());
        assertEquals("decode tokens/s", e.get(3).metric());
    }

    /**
     * Rollouts with two peers: racro4j is compared with PyTorch and with llama.cpp in separate rows, each at its own best
     * thread count; llama.cpp's faster numbers must not leak into the PyTorch rows (nor the reverse).
     */
    @Test
    void llamaCppIsASecondRolloutPeerWithRowsOfItsOwn() {
        String roll = "\"bench\":\"rollout\",\"device\":\"cpu\",\"layers\":2,\"dim\":128,\"heads\":4,\"kv_heads\":2,\"vocab\":512,"
                + "\"prompt_len\":32,\"new_tokens\":32,\"batch\":8,";
        String llama = "\"impl\":\"llama.cpp (node-llama-cpp 3.22.1, llama.cpp release v0.5.0)\",\"dtype\":\"f32\",\"kv_type\":\"f32\","
                + "\"flash_attn\":\"off\",";
        String raw = String.join("\n",
                "{" + roll + "\"impl\":\"racro4j\",\"prefill_tokens_per_s\":3000.0,\"decode_tokens_per_s\":100.0,\"threads\":1}",
                "{" + roll + "\"impl\":\"racro4j\",\"prefill_tokens_per_s\":5000.0,\"decode_tokens_per_s\":60.0,\"threads\":2}",
                "{" + roll + "\"impl\":\"pytorch 1.13.0\",\"prefill_tokens_per_s\":1000.0,\"decode_tokens_per_s\":40.0,\"threads\":1}",
                "{" + roll + llama + "\"prefill_tokens_per_s\":10000.0,\"decode_tokens_per_s\":125.0,\"threads\":1}",
                "{" + roll + llama + "\"prefill_tokens_per_s\":20000.0,\"decode_tokens_per_s\":80.0,\"threads\":2}",
                "{\"bench\":\"logits-check\",\"impl\":\"llama.cpp\",\"model\":\"m\",\"prompt_len\":9,\"n_vocab\":512,"
                        + "\"max_abs_diff\":1.5e-07,\"max_abs_logit\":1.07,\"tolerance\":0.000107,\"argmax_agrees\":true,\"pass\":true}");
        RawResults results = RawResults.parse(List.of(raw), List.of("cpu.jsonl"));
        List<Comparison.Entry> e = Comparison.rollout(results);
        assertEquals(4, e.size());
        assertEquals("pytorch 1.13.0", e.get(1).peerImpl());
        assertEquals(2.5, e.get(1).ratio(), 1e-12);    // decode vs PyTorch: 100 / 40, not against llama.cpp's 125
        assertEquals(0.25, e.get(2).ratio(), 1e-12);   // prefill vs llama.cpp: ours at 2 threads 5000 / its 2 threads 20000
        assertEquals(0.8, e.get(3).ratio(), 1e-12);    // decode vs llama.cpp: 100 / 125, both at 1 thread
        assertEquals("threads 1 vs 1; llama.cpp matrices f32, KV cache f32, flash attention off", e.get(3).note());
        assertEquals("rollout L2 d128 b8 vs llama.cpp decode", e.get(3).chartLabel());
        assertEquals("rollout L2 d128 b8 decode", e.get(1).chartLabel());
        String md = PerformanceReport.render(results);
        assertTrue(md.contains("| m | 9 | 512 | 1.50e-07 | 1.07 | 0.000107 | true | true |"), md);
    }

    @Test
    void theMarkdownShowsTheRatiosAndTheCommandsThatMeasuredThem() {
        String md = PerformanceReport.render(cpu());
        assertTrue(md.contains("| matmul F32 | n=256 | GFLOP/s | 100 | 40.0 | numpy | 2.50 | threads 2 vs 2 | #1, #2 |"), md);
        assertTrue(md.contains("| matmul F32 | n=512 | GFLOP/s | 20.0 | 80.0 | numpy | 0.25 |"), md);
        assertTrue(md.contains("| 2560 | 5120 | pytorch 1.13.0 | 0.50 | ms/step 200 vs 100; threads ? vs ? |"), md);
        assertTrue(md.contains("seq 128 batch 8 | tokens/s | — | 10240 | pytorch 1.13.0 | — |"), md);
        assertTrue(md.contains("| 1 | `tools/racro4j bench matmul --size 256` | 0 | 2.00 |"), md);
        assertTrue(md.contains("1 command(s) failed"), md);
        assertTrue(md.contains("| Test CPU |") && md.contains("2030-01-02 03:04 UTC"), md);
        assertTrue(md.contains("| seq | 2 | 128 | 4/2 | 512 | 32 | 8 | 459904 | 50.0 | 5120 | 10.0 |"), md);
        assertTrue(md.contains("| SoftmaxJmh.forward | shape=2048x64 | 123 | 5.60 | us/op | 1 x 3 |"), md);
        assertTrue(md.contains("1 line(s) that were not JSON objects were skipped"), md);
        assertFalse(md.contains("Quick smoke run"), md);
    }

    @Test
    void withoutGpuResultsEveryGpuRowIsNotYetMeasured() {
        String md = PerformanceReport.render(cpu());
        String gpu = md.substring(md.indexOf("## GPU"));
        for (GpuSection.GemmShape s : GpuSection.GEMM) {
            String row = line(gpu, "| " + s.label() + s.defaultDims() + " |");
            assertEquals(5, count(row, GpuSection.NOT_MEASURED), row); // four rungs and torch.matmul
        }
        assertEquals(4, count(line(gpu, "| 4 x 16 x 4096 x 128 | yes |"), GpuSection.NOT_MEASURED));
        assertEquals(3, count(line(gpu, "| CUDA graph replay |"), GpuSection.NOT_MEASURED));
        assertEquals(1, count(line(gpu, "| adamw | f32 |"), GpuSection.NOT_MEASURED));
        assertFalse(gpu.contains("met"), "no goal can be met or missed without numbers");
    }

    @Test
    void gpuResultsFillTheirRows() {
        String gpuFile = String.join("\n",
                "{\"bench\":\"machine\",\"scope\":\"gpu\",\"gpu\":\"Test GPU\",\"date\":\"2030-01-03\"}",
                "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"v0 cublas\",\"name\":\"square_4096\",\"m\":4096,\"n\":4096,\"k\":4096,\"tflops\":500.0}",
                "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"v3 wgmma\",\"name\":\"square_4096\",\"m\":4096,\"n\":4096,\"k\":4096,\"tflops\":400.0}",
                "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"v2 mma\",\"name\":\"square_4096\",\"m\":4096,\"n\":4096,\"k\":4096,\"tflops\":300.0}",
                "{\"bench\":\"decode\",\"impl\":\"racro4j\",\"mode\":\"graph\",\"batch\":64,\"prompt_len\":128,\"new_tokens\":128,"
                        + "\"ms_per_step\":10.0,\"decode_tokens_per_s\":6000.0}",
                "{\"bench\":\"rollout\",\"impl\":\"pytorch 2.11\",\"device\":\"cuda\",\"batch\":64,\"prompt_len\":128,\"new_tokens\":128,"
                        + "\"decode_tokens_per_s\":2000.0}",
                "{\"op\":\"copy_d2d\",\"dtype\":\"f32\",\"gbps\":4000.0,\"ratio_to_copy\":1.0}",
                "{\"op\":\"softmax\",\"dtype\":\"bf16\",\"gbps\":2000.0,\"ratio_to_copy\":0.5,\"meets_80pct\":false}");
        String md = PerformanceReport.render(RawResults.parse(List.of(CPU, gpuFile), List.of("cpu.jsonl", "gpu.jsonl")));
        String gpu = md.substring(md.indexOf("## GPU"));
        assertTrue(gpu.contains("Test GPU"), gpu);
        assertTrue(gpu.contains("| 4096 x 4096 x 4096 | 500 | not yet measured | 300 | 400 | 0.80 | >= 0.70: met | not yet measured |"), gpu);
        assertTrue(gpu.contains("| CUDA graph replay | 6000 | 10.0 | 2000 | 3.00 |"), gpu);
        assertTrue(gpu.contains("| softmax | bf16 | 2000 | 0.50 | >= 0.80: NOT met |"), gpu);
        // the CUDA rollout is a GPU peer, not a CPU comparison
        assertEquals(6, Comparison.cpu(RawResults.parse(List.of(CPU, gpuFile), List.of("a", "b"))).size());
    }

    /**
     * A full GPU run, its lines in the formats GemmBench, gemm_peer.py, AttentionBench, attention_peer.py,
     * BandwidthBench, DecodeBench and rollout.py print, with a different number in every cell, stale lines measured
     * earlier, skipped lines and a GEMM shape run at 512 tokens. Each table is compared whole with the rows written here
     * by hand: every number is its input line's, every ratio the quotient of its two sides (chosen to come out exact,
     * two of them exactly on their goal, which counts as met), the best of rungs 1-3 over cuBLAS, the bandwidth against
     * the last copy line, and a skipped line shows as not measured, never as a number.
     */
    @Test
    void everyGpuCellIsItsInputLinesNumberAndEveryRatioTheQuotientOfItsSides() {
        List<String> lines = new ArrayList<>();
        lines.add("{\"bench\":\"machine\",\"scope\":\"gpu\",\"gpu\":\"Test H200\",\"date\":\"2030-01-03\"}");
        lines.add(gemm("v0 cublas", "cublas", "square_4096", 4096, 4096, 4096, 999.0));   // stale: the later line counts
        double[][] tflops = {   // v0 .. v3 per shape; NaN: the bench skipped that rung
            {600, 150, 420, 390},   // best 420 / 600 = 0.70: exactly the 0.70 goal
            {200, 110, 130, Double.NaN},
            {Double.NaN, 101, 120, 140},
            {500, 120, 240, 230},   // at 512 tokens
            {400, 100, 300, 260},
        };
        String[] names = {"square_4096", "qwen2_0.5b_q_o_proj", "qwen2_0.5b_k_v_proj", "qwen2_0.5b_gate_up_proj", "qwen2_0.5b_down_proj"};
        int[][] mnk = {{4096, 4096, 4096}, {4096, 896, 896}, {4096, 128, 896}, {512, 4864, 896}, {4096, 896, 4864}};
        String[] versions = {"v0 cublas", "v1 tiled", "v2 mma", "v3 wgmma"};
        String[] kernels = {"cublas", "tiled", "mma akbk", "wgmma 128x256 akbk"};
        for (int s = 0; s < names.length; s++) {
            for (int r = 0; r < 4; r++) {
                int[] d = mnk[s];
                lines.add(Double.isNaN(tflops[s][r])
                        ? gemmSkipped(versions[r], names[s], d[0], d[1], d[2],
                                r == 0 ? "cuBLAS did not load (Test H200)" : "this rung cannot run BF16 tn")
                        : gemm(versions[r], kernels[r], names[s], d[0], d[1], d[2], tflops[s][r]));
            }
        }
        lines.add(torchGemm("square_4096", 4096, 4096, 4096, 610.0));
        lines.add(torchGemm("qwen2_0.5b_k_v_proj", 4096, 128, 896, 180.0));

        lines.add(attention("racro4j", "fwd", 16, 128, false, 300.0));
        lines.add(attention("pytorch 2.11.0", "fwd", 16, 128, false, 400.0));
        lines.add(attention("racro4j", "bwd", 16, 128, false, 200.0));
        lines.add(attention("pytorch 2.11.0", "bwd", 16, 128, false, 250.0));
        lines.add(attention("racro4j", "fwd", 16, 128, true, 150.0));
        lines.add(attention("pytorch 2.11.0", "fwd", 16, 128, true, 300.0));
        lines.add(attention("racro4j", "bwd", 16, 128, true, 120.0));
        lines.add(attention("pytorch 2.11.0", "bwd", 16, 128, true, 160.0));
        lines.add(attention("racro4j", "fwd", 32, 64, false, 280.0));
        lines.add(attention("pytorch 2.11.0", "fwd", 32, 64, false, 350.0));
        lines.add(attention("racro4j", "bwd", 32, 64, false, 210.0));   // its peer is missing
        lines.add("{\"bench\":\"attention\",\"impl\":\"racro4j\",\"dtype\":\"f16\",\"head_dim\":64,"
                + "\"skipped\":\"no fused attention for this dtype and head dim on Test H200\"}");

        lines.add(bandwidth("copy_d2d", "f32", 1000.0, null));   // an earlier copy: the last one is the reference
        String[][] ops = {{"copy_d2d", "f32"}, {"elementwise_add", "f32"}, {"elementwise_silu", "bf16"}, {"softmax", "f32"}, {"rmsnorm", "f32"},
            {"softmax", "bf16"}, {"rmsnorm", "bf16"}, {"adamw", "f32"}};
        double[] gbps = {3000, 2700, 2400, 2100, 2550, 1800, 2250, 2850};   // silu: 2400 / 3000 = 0.80, exactly the goal
        for (int i = 0; i < ops.length; i++) lines.add(bandwidth(ops[i][0], ops[i][1], gbps[i], i == 0 ? null : gbps[i] / 3000 >= 0.8));

        // 127 decode steps of 10 ms and of 40 ms
        lines.add(new org.racro4j.bench.DecodeBench.Result("graph", "cuda", "bf16", 64, 128, 128, 1.27, 6400.0).toJson());
        lines.add(new org.racro4j.bench.DecodeBench.Result("eager", "cuda", "bf16", 64, 128, 128, 5.08, 1600.0).toJson());
        lines.add("{\"bench\":\"rollout\",\"impl\":\"pytorch 2.11.0\",\"device\":\"cuda\",\"dtype\":\"bf16\",\"intermediate\":4864,"
                + "\"layers\":24,\"dim\":896,\"heads\":14,\"kv_heads\":2,\"vocab\":151936,\"batch\":64,\"prompt_len\":128,"
                + "\"new_tokens\":128,\"prefill_tokens_per_s\":90000.0,\"decode_tokens_per_s\":2000.0,\"seconds\":4.2}");

        String md = PerformanceReport.render(RawResults.parse(List.of(CPU, String.join("\n", lines)), List.of("cpu.jsonl", "gpu.jsonl")));
        String gpu = md.substring(md.indexOf("## GPU"));
        assertTrue(gpu.contains("GPU results: Test H200, 2030-01-03 (gpu.jsonl)."), gpu);
        String nm = GpuSection.NOT_MEASURED;
        assertEquals(List.of(
                "| 4096 x 4096 x 4096 | 600 | 150 | 420 | 390 | 0.70 | >= 0.70: met | 610 |",
                "| q/o_proj 4096 x 896 x 896 | 200 | 110 | 130 | " + nm + " | 0.65 | >= 0.50: met | " + nm + " |",
                "| k/v_proj 4096 x 128 x 896 | " + nm + " | 101 | 120 | 140 | — | — | 180 |",
                "| gate/up 512 x 4864 x 896 | 500 | 120 | 240 | 230 | 0.48 | >= 0.50: NOT met | " + nm + " |",
                "| down 4096 x 896 x 4864 | 400 | 100 | 300 | 260 | 0.75 | >= 0.50: met | " + nm + " |",
                "| lm_head 4096 x 151936 x 896 | " + nm + " | " + nm + " | " + nm + " | " + nm + " | — | — | " + nm + " |"),
                tableRows(gpu, "### GEMM"));
        assertEquals(List.of(
                "| 4 x 16 x 4096 x 128 | no | 300 | 400 | 0.75 | >= 0.60: met | 200 | 250 | 0.80 |",
                "| 4 x 16 x 4096 x 128 | yes | 150 | 300 | 0.50 | >= 0.60: NOT met | 120 | 160 | 0.75 |",
                "| 4 x 32 x 4096 x 64 | no | 280 | 350 | 0.80 | — | 210 | " + nm + " | — |",
                "| 4 x 32 x 4096 x 64 | yes | " + nm + " | " + nm + " | — | — | " + nm + " | " + nm + " | — |"),
                tableRows(gpu, "### Attention"));
        assertEquals(List.of(
                "| copy_d2d (version 0) | f32 | 3000 | — | — |",
                "| elementwise_add | f32 | 2700 | 0.90 | >= 0.80: met |",
                "| elementwise_silu | bf16 | 2400 | 0.80 | >= 0.80: met |",
                "| softmax | f32 | 2100 | 0.70 | >= 0.80: NOT met |",
                "| softmax | bf16 | 1800 | 0.60 | >= 0.80: NOT met |",
                "| rmsnorm | f32 | 2550 | 0.85 | >= 0.80: met |",
                "| rmsnorm | bf16 | 2250 | 0.75 | >= 0.80: NOT met |",
                "| adamw | f32 | 2850 | 0.95 | >= 0.80: met |"),
                tableRows(gpu, "### Memory-bound kernels"));
        assertEquals(List.of(
                "| CUDA graph replay | 6400 | 10.0 | 2000 | 3.20 |",
                "| eager (one launch per op) | 1600 | 40.0 | 2000 | 0.80 |"),
                tableRows(gpu, "### Decode"));
    }

    /** A line as GemmBench prints it (median time and ratio are not read by the report; plausible values). */
    private static String gemm(String version, String kernel, String name, int m, int n, int k, double tflops) {
        double ms = 2.0 * m * n * k / (tflops * 1e9);
        return String.format(Locale.ROOT, "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"%s\",\"kernel\":\"%s\",\"dtype\":\"bf16\","
                + "\"layout\":\"tn\",\"name\":\"%s\",\"batch\":1,\"m\":%d,\"n\":%d,\"k\":%d,\"median_ms\":%.4f,\"tflops\":%.1f,"
                + "\"ratio_to_cublas\":null,\"rel_err\":1.00e-03}", version, kernel, name, m, n, k, ms, tflops);
    }

    private static String gemmSkipped(String version, String name, int m, int n, int k, String why) {
        return String.format(Locale.ROOT, "{\"bench\":\"gemm\",\"impl\":\"racro4j\",\"version\":\"%s\",\"dtype\":\"bf16\",\"layout\":\"tn\","
                + "\"name\":\"%s\",\"m\":%d,\"n\":%d,\"k\":%d,\"skipped\":\"%s\"}", version, name, m, n, k, why);
    }

    /** As gemm_peer.py prints it. */
    private static String torchGemm(String name, int m, int n, int k, double tflops) {
        return String.format(Locale.ROOT, "{\"bench\":\"gemm\",\"impl\":\"pytorch 2.11.0\",\"version\":\"torch.matmul\",\"dtype\":\"bf16\","
                + "\"layout\":\"tn\",\"name\":\"%s\",\"batch\":1,\"m\":%d,\"n\":%d,\"k\":%d,\"median_ms\":1.0,\"tflops\":%.1f,"
                + "\"device\":\"Test H200\"}", name, m, n, k, tflops);
    }

    /** As AttentionBench (impl racro4j) or attention_peer.py prints it, batch 4, sequence 4096. */
    private static String attention(String impl, String pass, int heads, int headDim, boolean causal, double tflops) {
        return String.format(Locale.ROOT, "{\"bench\":\"attention\",\"impl\":\"%s\",\"pass\":\"%s\",\"dtype\":\"bf16\",\"batch\":4,"
                + "\"heads\":%d,\"kv_heads\":%d,\"seq\":4096,\"head_dim\":%d,\"causal\":%b,\"median_ms\":1.0000,\"tflops\":%.1f}",
                impl, pass, heads, heads, headDim, causal, tflops);
    }

    /** As BandwidthBench prints it; meetsBar null for the copy. */
    private static String bandwidth(String op, String dtype, double gbps, Boolean meetsBar) {
        return String.format(Locale.ROOT, "{\"op\":\"%s\",\"dtype\":\"%s\",\"shape\":\"[67108864]\",\"bytes_moved\":536870912,"
                + "\"median_ms\":%.4f,\"gbps\":%.1f,\"ratio_to_copy\":%.3f%s}", op, dtype, 536870912 / (gbps * 1e6), gbps, gbps / 3000,
                meetsBar == null ? "" : ",\"meets_80pct\":" + meetsBar);
    }

    /** The data rows of the Markdown table under the heading that starts with {@code heading}. */
    private static List<String> tableRows(String md, String heading) {
        int at = md.indexOf("\n" + heading);
        assertTrue(at >= 0, "no " + heading + " in\n" + md);
        List<String> rows = new ArrayList<>();
        boolean inTable = false;
        for (String l : md.substring(at + 1).lines().toList()) {
            if (l.startsWith("|---")) {
                inTable = true;
            } else if (inTable) {
                if (!l.startsWith("|")) break;
                rows.add(l);
            }
        }
        return rows;
    }

    @Test
    void aQuickRunSaysItIsNotAMeasurement() {
        String quick = CPU.replace("\"mode\":\"full\"", "\"mode\":\"quick\"");
        String md = PerformanceReport.render(RawResults.parse(List.of(quick), List.of("q.jsonl")));
        assertTrue(md.contains("Quick smoke run, not a measurement"), md);
    }

    @Test
    void writeDrawsBothChartsBesideTheMarkdown(@TempDir Path dir) throws IOException {
        Path raw = dir.resolve("cpu.jsonl");
        Files.writeString(raw, CPU);
        Path out = dir.resolve("docs/PERFORMANCE.md");
        String md = PerformanceReport.write(List.of(raw), out);
        assertEquals(md, Files.readString(out));
        assertTrue(md.contains("![racro4j / peer](perf-ratios.png)") && md.contains("![scaling](perf-scaling.png)"), md);
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        for (String chart : new String[] {PerformanceReport.RATIOS_PNG, PerformanceReport.SCALING_PNG}) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(dir.resolve("docs").resolve(chart)), 4);
            assertArrayEquals(png, head, chart);
        }
    }

    private static String line(String text, String start) {
        return text.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError("no row " + start + " in\n" + text));
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
