package org.racro4j.training.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @Test
    void checkpointsAreWholeAndOnlyTheLatestOfAStageIsKept() throws IOException {
        Checkpoints ck = new Checkpoints(tmp);
        ObjectNode state = new ObjectMapper().createObjectNode().put("rng_offset", 1234L);
        ck.save("rl", 10, Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of("m.0", Tensor.of(new float[] {4, 5, 6}, 3)), state);
        ck.save("swap_rl", 5, Map.of("w", Tensor.of(new float[] {0, 0, 1}, 3)), Map.of(), state);   // a stage alongside
        ck.save("rl", 20, Map.of("w", Tensor.of(new float[] {7, 8, 9}, 3)), Map.of(), state);
        Checkpoints.Loaded l = ck.latest("rl").orElseThrow();
        assertEquals(20, l.step());
        assertEquals("rl", l.stage());
        assertEquals(1234L, l.state().get("rng_offset").asLong());
        assertArrayEquals(new float[] {7, 8, 9}, l.model().get("w").toFloatArray(), 0f);
        assertFalse(Files.exists(ck.root().resolve("rl-000010")), "the older checkpoint of the stage is removed");
        assertEquals(5, ck.latest("swap_rl").orElseThrow().step(), "another stage's checkpoint stays");
        assertTrue(ck.latest("sft").isEmpty());
        try (var files = Files.list(ck.root())) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no staging directory left");
        }
    }

    @Test
    void plotsDrawOneChartPerMetric() throws IOException {
        Path p = tmp.resolve("m.jsonl");
        try (MetricsLog log = new MetricsLog(p)) {
            for (int i = 1; i <= 20; i++) log.log("rl", i, Map.of("reward", Math.sin(i / 3.0), "accuracy", i / 20.0));
        }
        List<Path> pngs = Plots.write(p, "rl", List.of("reward", "accuracy", "missing"), tmp.resolve("plots"));
        assertEquals(2, pngs.size());
        BufferedImage img = ImageIO.read(pngs.get(0).toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
    }
}
