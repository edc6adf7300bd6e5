package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;

import org.racro4j.bench.jmh.OverheadJmh;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.Backends;
import org.racro4j.core.cpu.Parallel;

/**
 * Every `racro4j bench` subcommand run on tiny, awkward shapes. The numbers each prints are checked against what the
 * test knows independently: the parameter count and the work recomputed from the shape, throughput against the
 * printed time (and the printed time against the wall clock the test measured around the command), the ratios of
 * `bench report` against the test's own division, and, without a GPU, the reason `bench kernels` gives.
 */
class BenchCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The tiny Qwen2-shaped decoder of train-step and rollout: head dim 24 / 3 = 8, grouped-query 3 on 1. */
    private static final String[] SHAPE = {"--layers", "2", "--dim", "24", "--heads", "3", "--kv-heads", "1", "--vocab", "37"};

    @TempDir
    static Path tmp;

    /** One command's single JSON line and the wall-clock milliseconds the test measured around the command. */
    record Timed(JsonNode json, String line, double wallMs) {}

    static Timed matmul;
    static Timed trainStep;
    static Timed rollout;

    /** Runs a bench command, checks its exit code, and times it. */
    private static CommandLineTest.Run bench(List<Double> wallMs, String... args) {
        List<String> all = new ArrayList<>(List.of("bench"));
        all.addAll(List.of(args));
        long t0 = System.nanoTime();
        CommandLineTest.Run r = CommandLineTest.run(all.toArray(new String[0]));
        wallMs.add((System.nanoTime() - t0) / 1e6);
        assertEquals(0, r.exit(), all + "\n" + r.err());
        return r;
    }

    private static Timed single(String... args) throws IOException {
        List<Double> wall = new ArrayList<>();
        String line = bench(wall, args).out().strip();
        assertEquals(1, line.lines().count(), "one JSON line: " + line);
        return new Timed(JSON.readTree(line), line, wall.get(0));
    }

    /** matmul, train-step and rollout once each; their lines also feed the report test. */
    @BeforeAll
    static void runTheThroughputBenches() throws IOException {
        matmul = single("matmul", "--size", "45", "--warmup", "1", "--iters", "3");
        List<String> train = new ArrayList<>(List.of("train-step"));
        train.addAll(List.of(SHAPE));
        train.addAll(List.of("--seq", "11", "--batch", "3", "--warmup", "1", "--steps", "3"));
        trainStep = single(train.toArray(new String[0]));
        List<String> roll = new ArrayList<>(List.of("rollout"));
        roll.addAll(List.of(SHAPE));
        roll.addAll(List.of("--batch", "3", "--prompt-len", "7", "--new-tokens", "5", "--warmup", "1", "--repeats", "1"));
        rollout = single(roll.toArray(new String[0]));
    }

    /**
     * Parameters of the benchmarks' Qwen2-shaped decoder counted by hand: tied embedding, per layer q (with bias),
     * k and v (with bias, kv_heads x head dim wide), o (no bias), SwiGLU gate/up/down of width 3 x dim, two RMSNorm
     * weights; a final RMSNorm.
     */
    static long parameters(int layers, int dim, int heads, int kvHeads, int vocab) {
        long kv = (long) kvHeads * (dim / heads);
        long perLayer = (long) dim * dim + dim + 2 * ((long) dim * kv + kv) + (long) dim * dim + 3L * dim * (3L * dim) + 2L * dim;
        return (long) vocab * dim + layers * perLayer + dim;
    }

    /** Checks one train-step or scaling line: its parameter count, its tokens/s against its ms/step, its peak memory. */
    private static void assertTrainStepLine(JsonNode j) {
        int layers = j.get("layers").asInt(), dim = j.get("dim").asInt(), vocab = j.get("vocab").asInt();
        int seq = j.get("seq").asInt(), batch = j.get("batch").asInt();
        long params = parameters(layers, dim, j.get("heads").asInt(), j.get("kv_heads").asInt(), vocab);
        assertEquals(params, j.get("params").asLong(), "parameters of " + j);
        double ms = j.get("ms_per_step").asDouble();
        assertTrue(ms > 0, j.toString());
        // tokens/s = batch x seq tokens per step / seconds per step. ms is printed to 0.01 and tokens/s to 0.1, so the
        // printed rate lies between the rates of the slowest and fastest step times that round to the printed ms
        double tokensPerMs = batch * seq * 1000.0, rate = j.get("tokens_per_s").asDouble();
        double lowest = tokensPerMs / (ms + 0.005) - 0.05 - 1e-9, highest = tokensPerMs / (ms - 0.005) + 0.05 + 1e-9;
        assertTrue(rate >= lowest && rate <= highest, "tokens/s of " + j + " in [" + lowest + ", " + highest + "]");
        // live tensor bytes at the peak: at least parameters, gradients and both AdamW moments (F32) plus the logits
        // [batch, seq, vocab]; at most that plus a generous allowance for activations (40 dim-wide rows and 8 score
        // matrices per layer, 8 vocab-wide rows), doubled
        long peak = j.get("peak_bytes").asLong();
        long floor = 16 * params + 4L * batch * seq * vocab;
        long activations = 4L * (8L * batch * seq * vocab
                + layers * (40L * batch * seq * dim + 8L * batch * j.get("heads").asInt() * seq * seq));
        assertTrue(peak >= floor, "peak " + peak + " >= " + floor + ": " + j);
        assertTrue(peak <= 16 * params + 2 * activations, "peak " + peak + " <= " + (16 * params + 2 * activations) + ": " + j);
    }

    /**
     * matmul: the size and thread count echoed, and a rate no faster than the machine's peak (threads x vector lanes x
     * 2 flops per FMA x 2 FMA units x 6 GHz), which a miscounted flop or time unit exceeds. No lower bound: on a
     * shared two-core machine the kernel's helper threads can be descheduled for milliseconds, and the median then
     * falls to near zero.
     */
    @Test
    void matmulEchoesItsShapeAndStaysUnderTheMachinesPeak() {
        JsonNode j = matmul.json();
        assertEquals("matmul", j.get("op").asText());
        assertEquals(45, j.get("n").asInt());
        assertEquals(Parallel.threads(), j.get("threads").asInt());
        double gflops = j.get("gflops").asDouble();
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        double peak = Parallel.threads() * lanes * 2.0 * 2.0 * 6.0;
        assertTrue(gflops >= 0 && gflops <= peak, gflops + " GFLOP/s, peak " + peak + ": " + matmul.line());
    }

    /** train-step: the shape echoed, the line's own consistency, and 3 timed steps: two at least the median, within the wall time. */
    @Test
    void trainStepNumbersAgreeWithTheShapeAndTheWallClock() {
        JsonNode j = trainStep.json();
        assertEquals("train_step", j.get("bench").asText());
        assertEquals("cpu", j.get("device").asText());
        int[] want = {2, 24, 3, 1, 37, 11, 3};
        String[] keys = {"layers", "dim", "heads", "kv_heads", "vocab", "seq", "batch"};
        for (int i = 0; i < keys.length; i++) assertEquals(want[i], j.get(keys[i]).asInt(), keys[i]);
        assertTrainStepLine(j);
        assertTrue(2 * j.get("ms_per_step").asDouble() <= trainStep.wallMs(), "median " + j.get("ms_per_step") + " ms of 3 steps, wall "
                + trainStep.wallMs() + " ms");
    }

    /**
     * rollout with one timed repeat: the prefill of batch x prompt tokens and the batch x (new - 1) decode tokens
     * after it must take, at their printed rates, the printed total time; and that total fits in the wall time.
     */
    @Test
    void rolloutRatesAddUpToItsTotalTime() {
        JsonNode j = rollout.json();
        assertEquals("rollout", j.get("bench").asText());
        assertEquals(3, j.get("batch").asInt());
        assertEquals(7, j.get("prompt_len").asInt());
        assertEquals(5, j.get("new_tokens").asInt());
        double prefillRate = j.get("prefill_tokens_per_s").asDouble();
        double decodeRate = j.get("decode_tokens_per_s").asDouble();
        double seconds = j.get("seconds").asDouble();
        double prefill = 3 * 7 / prefillRate;
        double decode = 3 * (5 - 1) / decodeRate;
        // rates are printed to 0.1 token/s and the total to 1 ms
        double tolerance = prefill * 0.05 / prefillRate + decode * 0.05 / decodeRate + 0.0005 + 1e-9;
        assertEquals(seconds, prefill + decode, tolerance, rollout.line());
        assertTrue(seconds >= 0 && seconds * 1000 <= rollout.wallMs(), seconds + " s, wall " + rollout.wallMs() + " ms");
    }

    /**
     * rollout --stop-spread: the requests' lengths are those bench/python/rollout.py draws (splitmix64 there: 9, 3, 8,
     * 7, 4, 4, 2 for 7 requests in [2, 9], 37 tokens), the rates are those tokens over the printed times, and the
     * speedup is the ratio of the two times.
     */
    @Test
    void stopSpreadCountsTheUsefulTokensThePeerCounts() throws IOException {
        List<String> args = new ArrayList<>(List.of("rollout"));
        args.addAll(List.of(SHAPE));
        args.addAll(List.of("--batch", "3", "--requests", "7", "--prompt-len", "5", "--new-tokens", "11", "--stop-spread", "2:9",
                "--warmup", "0", "--repeats", "1"));
        Timed t = single(args.toArray(new String[0]));
        JsonNode j = t.json();
        assertEquals("2:9", j.get("stop_spread").asText());
        assertEquals(7, j.get("requests").asInt());
        assertEquals(37, j.get("useful_tokens").asInt(), t.line());
        double seconds = j.get("seconds").asDouble();
        double plain = j.get("plain_seconds").asDouble();
        // times are printed to 1 ms, rates to 0.1 token/s and the speedup to 0.01: each within what that rounding allows
        assertEquals(37 / seconds, j.get("useful_tokens_per_s").asDouble(), 37 * 0.0005 / (seconds * (seconds - 0.0005)) + 0.05, t.line());
        assertEquals(37 / plain, j.get("plain_useful_tokens_per_s").asDouble(), 37 * 0.0005 / (plain * (plain - 0.0005)) + 0.05, t.line());
        double speedupRounding = (plain + 0.0005) / (seconds - 0.0005) - plain / seconds;
        assertEquals(plain / seconds, j.get("continuous_speedup").asDouble(), speedupRounding + 0.005, t.line());
        assertTrue((seconds + plain) * 1000 <= t.wallMs(), t.line() + ", wall " + t.wallMs() + " ms");

        for (String[] bad : new String[][] {{"5", "--stop-spread must be A:B"}, {"9:2", "1 <= A <= B <= --new-tokens (11)"},
                {"2:12", "1 <= A <= B <= --new-tokens (11)"}}) {
            List<String> a = new ArrayList<>(List.of("bench", "rollout"));
            a.addAll(List.of(SHAPE));
            a.addAll(List.of("--batch", "3", "--prompt-len", "5", "--new-tokens", "11", "--stop-spread", bad[0]));
            CommandLineTest.Run r = CommandLineTest.run(a.toArray(new String[0]));
            assertEquals(2, r.exit(), a + "\n" + r.err());
            assertTrue(r.err().contains(bad[1]), r.err());
        }
    }

    /**
     * scaling --quick: each axis varies only its own quantity (and the model axis grows the parameter count), every
     * line is consistent as a train-step line, and one timed step per point fits in the wall time.
     */
    @Test
    void scalingVariesOneThingPerAxisAndEachPointIsConsistent() throws IOException {
        List<Double> wall = new ArrayList<>();
        String out = bench(wall, "scaling", "--quick", "--warmup", "1", "--steps", "1").out();
        List<JsonNode> points = new ArrayList<>();
        for (String line : out.strip().split("\n")) points.add(JSON.readTree(line));
        assertEquals(List.of("seq", "seq", "batch", "batch", "model", "model"), points.stream().map(p -> p.get("axis").asText()).toList());
        double totalMs = 0;
        for (JsonNode p : points) {
            assertEquals("scaling", p.get("bench").asText());
            assertTrainStepLine(p);
            totalMs += p.get("ms_per_step").asDouble();
        }
        assertTrue(totalMs <= wall.get(0), "sum of steps " + totalMs + " ms, wall " + wall.get(0) + " ms");
        assertOnlyChanges(points.get(0), points.get(1), "seq");
        assertOnlyChanges(points.get(2), points.get(3), "batch");
        JsonNode small = points.get(4), large = points.get(5);
        assertEquals(small.get("seq"), large.get("seq"));
        assertEquals(small.get("batch"), large.get("batch"));
        assertTrue(large.get("params").asLong() > small.get("params").asLong(), small + "\n" + large);
    }

    private static void assertOnlyChanges(JsonNode a, JsonNode b, String field) {
        for (String k : List.of("layers", "dim", "heads", "kv_heads", "vocab", "seq", "batch")) {
            if (k.equals(field)) assertTrue(b.get(k).asInt() > a.get(k).asInt(), field + " grows: " + a + "\n" + b);
            else assertEquals(a.get(k), b.get(k), k + " stays on the " + field + " axis");
        }
    }

    /**
     * jmh with explicit settings on one benchmark: one line per value of its @Param (read from the class here), the
     * mode and unit its annotations declare, the settings echoed, and a score that fits in the wall time.
     */
    @Test
    void jmhPrintsOneLinePerParameterWithTheGivenSettings() throws Exception {
        List<Double> wall = new ArrayList<>();
        String out = bench(wall, "jmh", "--forks", "0", "--warmup-iterations", "0", "--iterations", "2", "--iteration-ms", "20",
                "OverheadJmh.kernelOnly").out();
        Set<String> wantParams = new HashSet<>(List.of(OverheadJmh.class.getField("elements").getAnnotation(Param.class).value()));
        assertEquals(Mode.AverageTime, OverheadJmh.class.getAnnotation(BenchmarkMode.class).value()[0]);
        TimeUnit unit = OverheadJmh.class.getAnnotation(OutputTimeUnit.class).value();
        assertEquals(TimeUnit.NANOSECONDS, unit);
        Set<String> seen = new HashSet<>();
        for (String line : out.strip().split("\n")) {
            JsonNode j = JSON.readTree(line);
            assertEquals("jmh", j.get("bench").asText());
            assertEquals("OverheadJmh.kernelOnly", j.get("benchmark").asText());
            assertTrue(seen.add(j.get("params").get("elements").asText()), "each parameter once: " + out);
            assertEquals(1, j.get("params").size(), line);
            assertEquals("avgt", j.get("mode").asText());
            assertEquals("ns/op", j.get("unit").asText());
            assertEquals(0, j.get("forks").asInt(), line);
            assertEquals(0, j.get("warmup_iterations").asInt(), line);
            assertEquals(2, j.get("iterations").asInt(), line);
            double score = j.get("score").asDouble();
            assertTrue(score > 0 && score < wall.get(0) * 1e6, "one call takes " + score + " ns, the command " + wall.get(0) + " ms");
        }
        assertEquals(wantParams, seen);
    }

    /**
     * bench report over a raw file holding the real lines of matmul, train-step and rollout above and made-up peer
     * lines: every ratio in the written table is the test's own ours / peer, the ratio chart is a readable image, and
     * the GPU rows, with no GPU file given, say they are not measured.
     */
    @Test
    void reportRatiosAreOursOverPeerComputedHere() throws IOException {
        JsonNode tm = trainStep.json(), ro = rollout.json();
        String model = "\"layers\":2,\"dim\":24,\"heads\":3,\"kv_heads\":1,\"vocab\":37";
        String raw = String.join("\n",
                "{\"bench\":\"machine\",\"scope\":\"cpu\",\"mode\":\"full\",\"date\":\"test\",\"cpu_model\":\"this machine\",\"cores\":2}",
                "{\"bench\":\"command\",\"cmd\":\"racro4j bench matmul --size 45\"}",
                matmul.line(),
                "{\"bench\":\"done\",\"cmd\":\"racro4j bench matmul --size 45\",\"rc\":0,\"seconds\":1.7}",
                "{\"op\":\"matmul_numpy\",\"n\":45,\"gflops\":7.3,\"threads\":2}",
                trainStep.line(),
                "{\"bench\":\"train_step\",\"impl\":\"pytorch test\",\"device\":\"cpu\"," + model + ",\"seq\":11,\"batch\":3,\"params\":1,"
                        + "\"ms_per_step\":3.9,\"tokens_per_s\":8461.5}",
                rollout.line(),
                "{\"bench\":\"rollout\",\"impl\":\"pytorch test\",\"device\":\"cpu\"," + model + ",\"batch\":3,\"prompt_len\":7,"
                        + "\"new_tokens\":5,\"prefill_tokens_per_s\":4321.7,\"decode_tokens_per_s\":613.3,\"seconds\":0.03}");
        Path rawFile = tmp.resolve("raw.jsonl");
        Files.writeString(rawFile, raw + "\n");
        Path md = tmp.resolve("docs").resolve("PERFORMANCE.md");
        List<Double> wall = new ArrayList<>();
        CommandLineTest.Run r = bench(wall, "report", "--out", md.toString(), rawFile.toString());
        assertEquals("wrote " + md + " (charts beside it)", r.out().strip());
        String text = Files.readString(md);

        double[][] want = {
                {matmul.json().get("gflops").asDouble(), 7.3},
                {tm.get("tokens_per_s").asDouble(), 8461.5},
                {ro.get("prefill_tokens_per_s").asDouble(), 4321.7},
                {ro.get("decode_tokens_per_s").asDouble(), 613.3}};
        String[] metric = {"GFLOP/s", "tokens/s", "prefill tokens/s", "decode tokens/s"};
        List<String[]> rows = tableRows(text, "| benchmark | shape | metric | racro4j | peer |");
        assertEquals(4, rows.size(), text);
        for (int i = 0; i < rows.size(); i++) {
            String[] cells = rows.get(i);
            assertEquals(metric[i], cells[2], String.join(" | ", cells));
            assertEquals(want[i][0], Double.parseDouble(cells[3]), Math.abs(want[i][0]) * 0.006 + 0.5, "racro4j cell " + i);
            assertEquals(want[i][1], Double.parseDouble(cells[4]), Math.abs(want[i][1]) * 0.006, "peer cell " + i);
            assertEquals(String.format(Locale.ROOT, "%.2f", want[i][0] / want[i][1]), cells[6], "ratio of row " + i);
        }
        assertEquals("n=45", rows.get(0)[1]);
        assertEquals("layers 2 dim 24 heads 3/1 vocab 37 seq 11 batch 3", rows.get(1)[1]);

        BufferedImage chart = ImageIO.read(md.resolveSibling("perf-ratios.png").toFile());
        assertNotNull(chart, "perf-ratios.png is an image");
        assertTrue(chart.getWidth() > 100 && chart.getHeight() > 100);
        assertFalse(Files.exists(md.resolveSibling("perf-scaling.png")), "no scaling lines, no scaling chart");
        assertTrue(text.contains("No scaling results in the raw files."), text);
        // the GPU table of memory-bound kernels, one row per op, each not measured
        List<String[]> gpu = tableRows(text, "| op | dtype | racro4j GB/s |");
        assertEquals(8, gpu.size(), text);
        for (String[] cells : gpu) assertEquals("not yet measured", cells[2], String.join(" | ", cells));
        assertTrue(text.contains("- `" + rawFile + "`"), "the raw file is listed: " + text);
    }

    /** The rows of the Markdown table whose header line starts with {@code header}, as trimmed cells. */
    private static List<String[]> tableRows(String markdown, String header) {
        List<String> lines = markdown.lines().toList();
        int at = -1;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith(header)) at = i;
        assertTrue(at >= 0, "a table headed " + header + " in:\n" + markdown);
        List<String[]> rows = new ArrayList<>();
        for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String l = lines.get(i);
            String[] cells = l.substring(1, l.length() - 1).split("\\|", -1);
            for (int c = 0; c < cells.length; c++) cells[c] = cells[c].strip();
            rows.add(cells);
        }
        return rows;
    }

    /**
     * bench kernels needs a GPU. Without one it fails as a user error whose one line carries the CUDA provider's own
     * reason; with one, each op's bytes follow from its shape, GB/s from bytes and time, and the ratio from the copy.
     */
    @Test
    void kernelsSaysWhyWithoutAGpuOrIsConsistentWithOne() throws IOException {
        BackendProvider cuda = Backends.provider("cuda");
        if (cuda == null || !cuda.availability().available()) {
            CommandLineTest.Run r = CommandLineTest.run("bench", "kernels", "--mib", "1", "--iters", "3");
            assertEquals(2, r.exit(), r.out() + r.err());
            assertEquals("", r.out());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            String why = cuda == null ? "the CUDA backend is not on the class path" : cuda.availability().description();
            assertFalse(why.isBlank());
            assertEquals("racro4j kernels: bench kernels needs a CUDA device: " + why, r.err().strip());
            return;
        }
        List<Double> wall = new ArrayList<>();
        String out = bench(wall, "kernels", "--mib", "16", "--iters", "5").out();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.strip().split("\n")) lines.add(JSON.readTree(line));
        assertEquals(8, lines.size(), out);
        assertEquals("copy_d2d", lines.get(0).get("op").asText());
        double copy = lines.get(0).get("gbps").asDouble();
        for (JsonNode j : lines) {
            assertEquals(bytesMoved(j), j.get("bytes_moved").asLong(), j.toString());
            double ms = j.get("median_ms").asDouble();
            double gbps = j.get("bytes_moved").asLong() / (ms * 1e-3) / 1e9;
            // median_ms is printed to 1e-4 ms, GB/s to 0.1
            assertTrue(ms > 0.0002, j.toString());
            assertEquals(gbps, j.get("gbps").asDouble(), gbps * 0.00005 / (ms - 0.00005) + 0.05 + 1e-9, j.toString());
            double ratio = j.get("gbps").asDouble() / copy;
            assertEquals(ratio, j.get("ratio_to_copy").asDouble(), ratio * (0.05 / j.get("gbps").asDouble() + 0.05 / copy) + 0.0005, j.toString());
            if (!j.get("op").asText().equals("copy_d2d")) {
                assertEquals(j.get("ratio_to_copy").asDouble() >= 0.8, j.get("meets_80pct").asBoolean(), j.toString());
            }
        }
    }

    /**
     * Without a GPU, train-step, rollout and scaling asked for --device cuda stop before measuring anything, with one
     * line that carries the CUDA provider's own reason. (With a GPU there is nothing to check here.)
     */
    @Test
    void theOtherBenchesOnCudaWithoutAGpuSayWhy() {
        BackendProvider cuda = Backends.provider("cuda");
        if (cuda != null && cuda.availability().available()) return;
        String why = cuda == null ? "no backend for 'cuda'" : cuda.availability().description();
        List<String> shape = List.of("--layers", "1", "--dim", "8", "--heads", "2", "--kv-heads", "1", "--vocab", "11");
        List<List<String>> commands = List.of(
                List.of("train-step", "--seq", "3", "--batch", "2"),
                List.of("rollout", "--batch", "2", "--prompt-len", "3", "--new-tokens", "2"),
                List.of("scaling", "--quick"));
        for (List<String> c : commands) {
            List<String> args = new ArrayList<>(List.of("bench"));
            args.addAll(c);
            if (!c.get(0).equals("scaling")) args.addAll(shape);
            args.addAll(List.of("--device", "cuda"));
            CommandLineTest.Run r = CommandLineTest.run(args.toArray(new String[0]));
            assertEquals(2, r.exit(), args + "\n" + r.out() + r.err());
            assertEquals("", r.out(), "nothing measured: " + args);
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("racro4j " + c.get(0) + ": ") && r.err().strip().endsWith(why), args + ": " + r.err());
        }
    }

    /**
     * The least bytes an op must move, from its printed shape and dtype: copy reads and writes (2), add reads two and
     * writes one (3), SiLU 2, softmax 2; RMSNorm 2 plus its weight row and a float per row of rstd; AdamW reads
     * parameters, gradients and both moments and writes three of them back (7).
     */
    private static long bytesMoved(JsonNode j) {
        String shape = j.get("shape").asText().replaceAll("[\\[\\] ]", "");
        long elements = 1;
        String[] dims = shape.split(",");
        for (String d : dims) elements *= Long.parseLong(d);
        int size = j.get("dtype").asText().equals("bf16") ? 2 : 4;
        return switch (j.get("op").asText()) {
            case "copy_d2d", "elementwise_silu", "softmax" -> 2 * elements * size;
            case "elementwise_add" -> 3 * elements * size;
            case "rmsnorm" -> 2 * elements * size + Long.parseLong(dims[1]) * size + Long.parseLong(dims[0]) * 4;
            case "adamw" -> 7 * elements * size;
            default -> throw new AssertionError("unknown op " + j);
        };
    }
}
