package org.racro4j.bench.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

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

    @Test
    void theMarkdownShowsTheRatiosAndTheCommandsThatMeasuredThem() {
        String md = PerformanceReport.render(cpu());
        assertTrue(md.contains("| matmul F32 | n=256 | GFLOP/s | 100 | 40.0 | numpy | 2.50 | threads 2 | #1, #2 |"), md);
        assertTrue(md.contains("| matmul F32 | n=512 | GFLOP/s | 20.0 | 80.0 | numpy | 0.25 |"), md);
        assertTrue(md.contains("| 2560 | 5120 | pytorch 1.13.0 | 0.50 | ms/step 200 vs 100 |"), md);
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
