package org.racro4j.training.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Tensor;

class RunFilesTest {
    @TempDir
    Path tmp;

    @Test
    void metricsSurviveATornLastLineAndResumeDropsWhatComesAfterEachStagesCheckpoint() throws IOException {
        Path p = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(p)) {
            // sft finished; rl and swap ran side by side (interleaved lines) when the run was killed
            log.log("sft", 1, Map.of("loss", 2.5));
            log.log("sft", 2, Map.of("loss", 2.0));
            log.log("rl", 1, Map.of("reward", 0.25, "kl", Double.NaN));
            log.log("swap", 1, Map.of("loss", 3.0));
            log.log("rl", 2, Map.of("reward", 0.5));
            log.log("swap", 2, Map.of("loss", 2.75));
        }
        Files.writeString(p, Files.readString(p) + "{\"stage\": \"rl\", \"ste", java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        List<JsonNode> all = MetricsLog.read(p);
        assertEquals(6, all.size(), "the torn line is skipped");
        assertEquals("NaN", all.get(2).get("kl").asText());
        MetricsLog.truncate(p, Map.of("rl", 1L, "swap", -1L));
        List<JsonNode> kept = MetricsLog.read(p);
        assertEquals(List.of("sft:1", "sft:2", "rl:1"), kept.stream().map(r -> r.get("stage").asText() + ":" + r.get("step").asLong()).toList());
    }

    /**
     * A run killed in the middle of a line leaves it torn at the end of the file; the log opened again by the resumed
     * run drops it, so new lines do not follow half a line. A stage that continues from its checkpoint drops its own
     * lines after it, and only those.
     */
    @Test
    void aReopenedLogDropsATornLastLineAndAResumedStageItsLinesAfterItsCheckpoint() throws IOException {
        Path p = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(p)) {
            log.log("sft", 0, Map.of("loss", 2.5));
            log.log("rl", 0, Map.of("reward", 0.25));
            log.log("rl", 1, Map.of("reward", 0.5));
            log.log("sft", 1, Map.of("loss", 2.0));
        }
        Files.writeString(p, "{\"stage\": \"rl\", \"ste", java.nio.file.StandardOpenOption.APPEND);
        try (MetricsLog log = new MetricsLog(p)) {
            log.log("sft", 2, Map.of("loss", 1.5));
        }
        assertEquals(List.of("sft:0", "rl:0", "rl:1", "sft:1", "sft:2"), keys(MetricsLog.read(p)));
        try (MetricsLog log = new MetricsLog(p)) {
            log.dropAfter("sft", 5);   // nothing to drop
            log.dropAfter("rl", 0);
            log.log("rl", 1, Map.of("reward", 0.75));
        }
        assertEquals(List.of("sft:0", "rl:0", "sft:1", "sft:2", "rl:1"), keys(MetricsLog.read(p)));
        assertEquals(0.75, MetricsLog.read(p).get(4).get("reward").asDouble());
        assertTrue(Files.readString(p).endsWith("}\n"));
    }

    private static List<String> keys(List<JsonNode> records) {
        return records.stream().map(r -> r.get("stage").asText() + ":" + r.get("step").asLong()).toList();
    }

    @Test
    void checkpointsAreWholeAndTheLastTwoOfAStageAreKept() throws IOException {
        Checkpoints ck = new Checkpoints(tmp);
        ObjectNode state = new ObjectMapper().createObjectNode().put("rng_offset", 1234L);
        ck.save("rl", 10, Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of("m.0", Tensor.of(new float[] {4, 5, 6}, 3)), state);
        ck.save("swap_rl", 5, Map.of("w", Tensor.of(new float[] {0, 0, 1}, 3)), Map.of(), state);   // a stage alongside
        ck.save("rl", 20, Map.of("w", Tensor.of(new float[] {7, 8, 9}, 3)), Map.of(), state);
        ck.save("rl", 30, Map.of("w", Tensor.of(new float[] {3, 2, 1}, 3)), Map.of("m.0", Tensor.of(new float[] {6, 5, 4}, 3)), state);
        try (Checkpoints.Loaded l = ck.latest("rl").orElseThrow()) {
            assertEquals(30, l.step());
            assertEquals("rl", l.stage());
            assertEquals(1234L, l.state().get("rng_offset").asLong());
            assertArrayEquals(new float[] {3, 2, 1}, l.model().get("w").toFloatArray(), 0f);
            assertArrayEquals(new float[] {6, 5, 4}, l.optimizer().get("m.0").toFloatArray(), 0f);
        }
        assertEquals(List.of(ck.root().resolve("rl-000030"), ck.root().resolve("rl-000020")), ck.newestFirst("rl"), "the oldest is removed");
        try (Checkpoints.Loaded l = ck.read(ck.root().resolve("rl-000020"))) {
            assertArrayEquals(new float[] {7, 8, 9}, l.model().get("w").toFloatArray(), 0f);
            assertTrue(l.optimizer().isEmpty());
        }
        assertEquals(5, ck.latest("swap_rl").orElseThrow().step(), "another stage's checkpoint stays");
        assertTrue(ck.latest("sft").isEmpty());
        try (var files = Files.list(ck.root())) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no staging directory left");
        }
    }

    /**
     * A disk that fills up while a checkpoint is written: one line naming the file being written, no staging directory
     * left behind, and the stage's previous checkpoints still load.
     */
    @Test
    void aFullDiskWhileSavingIsOneLineNamingTheFileAndThePreviousCheckpointStaysWhole() throws IOException {
        Checkpoints ck = new Checkpoints(tmp);
        ObjectNode state = new ObjectMapper().createObjectNode();
        ck.save("rl", 2, Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of("m.0", Tensor.of(new float[] {4, 5, 6}, 3)), state);
        AtomicFiles.Writer real = AtomicFiles.writer;
        AtomicFiles.writer = (path, content) -> {
            if (path.getFileName().toString().equals("optimizer.safetensors")) {
                Files.write(path, new byte[] {1, 2, 3});   // part of it made it to the disk
                throw new IOException("No space left on device");
            }
            real.write(path, content);
        };
        IOException e;
        try {
            e = assertThrows(IOException.class, () -> ck.save("rl", 4, Map.of("w", Tensor.of(new float[] {7, 8, 9}, 3)),
                    Map.of("m.0", Tensor.of(new float[] {0, 0, 0}, 3)), state));
        } finally {
            AtomicFiles.writer = real;
        }
        assertEquals("cannot write " + ck.root().resolve("rl-000004.tmp/optimizer.safetensors") + ": No space left on device"
                + " (checkpoint rl-000004 not saved; rl-000002 is kept)", e.getMessage());
        try (var files = Files.list(ck.root())) {
            assertEquals(List.of(ck.root().resolve("rl-000002")), files.toList(), "no staging directory left");
        }
        try (Checkpoints.Loaded l = ck.latest("rl").orElseThrow()) {
            assertEquals(2, l.step());
            assertArrayEquals(new float[] {1, 2, 3}, l.model().get("w").toFloatArray(), 0f);
            assertArrayEquals(new float[] {4, 5, 6}, l.optimizer().get("m.0").toFloatArray(), 0f);
        }
    }

    /** The same for any file written whole (config.yaml, stages.json, eval caches): the old content stays. */
    @Test
    void aFullDiskWhileReplacingAFileKeepsItsOldContent() throws IOException {
        Path p = tmp.resolve("stages.json");
        AtomicFiles.writeString(p, "[\"rl\"]\n");
        AtomicFiles.Writer real = AtomicFiles.writer;
        AtomicFiles.writer = (path, content) -> {
            throw new IOException("No space left on device");
        };
        try {
            IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(p, "[\"rl\", \"eval_after\"]\n"));
            assertEquals("cannot write " + p + ": No space left on device", e.getMessage());
        } finally {
            AtomicFiles.writer = real;
        }
        assertEquals("[\"rl\"]\n", Files.readString(p));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(p), files.toList(), "no temporary file left");
        }
    }

    /** A truncated state.json is one line naming the file, not a parser's stack trace. */
    @Test
    void aTruncatedStateJsonIsOneLineNamingTheFile() throws IOException {
        Checkpoints ck = new Checkpoints(tmp);
        ck.save("rl", 10, Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of(), new ObjectMapper().createObjectNode().put("optimizer_steps", 0));
        Path state = ck.root().resolve("rl-000010/state.json");
        String text = Files.readString(state);
        Files.writeString(state, text.substring(0, text.length() / 2));
        IOException e = assertThrows(IOException.class, () -> ck.latest("rl"));
        assertTrue(e.getMessage().startsWith(state + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /**
     * Each chart shows its own metric: the series is drawn in colour (the rest of the chart is grey scale), so the
     * coloured pixels are read back column by column and must lie on the line through the logged points. Reference:
     * the logged values themselves, mapped to pixels by a straight-line fit (row = a + b · value, b < 0, x spanning
     * the logged steps). A blank chart, or one that plots another metric or the points in another order, fails.
     */
    @Test
    void plotsDrawEachMetricsLoggedValues() throws IOException {
        Path p = tmp.resolve("m.jsonl");
        int n = 97;
        double[] reward = new double[n];
        double[] accuracy = new double[n];
        try (MetricsLog log = new MetricsLog(p)) {
            for (int i = 0; i < n; i++) {
                reward[i] = Math.abs(i - 30) / 10.0;                 // a V with its low point at step 30
                accuracy[i] = i < 60 ? i / 60.0 : 1.0 - (i - 60) / 90.0;  // up to step 60, then down
                log.log("rl", i, Map.of("reward", reward[i], "accuracy", accuracy[i]));
                log.log("sft", i, Map.of("reward", 5.0));          // another stage's metric of the same name
            }
        }
        List<Path> pngs = Plots.write(p, "rl", List.of("reward", "accuracy", "missing"), tmp.resolve("plots"));
        assertEquals(List.of(tmp.resolve("plots/rl_reward.png"), tmp.resolve("plots/rl_accuracy.png")), pngs);
        assertShows(ImageIO.read(pngs.get(0).toFile()), reward);
        assertShows(ImageIO.read(pngs.get(1).toFile()), accuracy);
    }

    /** The chart's coloured pixels trace the values, plotted at steps 0 .. n−1 from left to right. */
    private static void assertShows(BufferedImage img, double[] values) {
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        int n = values.length;
        List<double[]> columns = new ArrayList<>();   // {x, mean row of coloured pixels}
        for (int x = 0; x < img.getWidth(); x++) {
            double rows = 0;
            int count = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 255, g = (rgb >> 8) & 255, b = rgb & 255;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
                    rows += y;
                    count++;
                }
            }
            if (count > 0) columns.add(new double[] {x, rows / count});
        }
        assertTrue(columns.size() > 300, "the line spans most of the width: " + columns.size() + " coloured columns");
        double x0 = columns.get(0)[0];
        double x1 = columns.get(columns.size() - 1)[0];
        // expected value at each coloured column (linear between logged points), then a least-squares fit row = a + b · value
        double[] v = new double[columns.size()];
        double sv = 0, sr = 0, svv = 0, svr = 0;
        for (int c = 0; c < columns.size(); c++) {
            double step = (columns.get(c)[0] - x0) / (x1 - x0) * (n - 1);
            int lo = Math.min((int) Math.floor(step), n - 2);
            v[c] = values[lo] + (step - lo) * (values[lo + 1] - values[lo]);
            double row = columns.get(c)[1];
            sv += v[c];
            sr += row;
            svv += v[c] * v[c];
            svr += v[c] * row;
        }
        int m = columns.size();
        double b = (m * svr - sv * sr) / (m * svv - sv * sv);
        double a = (sr - b * sv) / m;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double x : values) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        assertTrue(-b * (max - min) > 150, "the values span much of the plot's height: slope " + b);
        for (int c = 0; c < m; c++) {
            double residual = columns.get(c)[1] - (a + b * v[c]);
            assertTrue(Math.abs(residual) < 4, "column " + columns.get(c)[0] + " is " + residual + " px off the line of the logged values");
        }
    }
}
