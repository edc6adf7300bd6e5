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
    void metricsSurviveATornLastLineAndResumeDropsWhatComesAfterTheCheckpoint() throws IOException {
        Path p = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(p)) {
            log.log("sft", 1, Map.of("loss", 2.5));
            log.log("sft", 2, Map.of("loss", 2.0));
            log.log("rl", 1, Map.of("reward", 0.25, "kl", Double.NaN));
            log.log("rl", 2, Map.of("reward", 0.5));
        }
        Files.writeString(p, Files.readString(p) + "{\"stage\": \"rl\", \"ste", java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        List<JsonNode> all = MetricsLog.read(p);
        assertEquals(4, all.size(), "the torn line is skipped");
        assertEquals("NaN", all.get(2).get("kl").asText());
        MetricsLog.truncateAfter(p, List.of("sft", "rl"), "rl", 1);
        List<JsonNode> kept = MetricsLog.read(p);
        assertEquals(3, kept.size());
        assertEquals(1, kept.get(2).get("step").asLong());
        assertEquals("rl", kept.get(2).get("stage").asText());
    }

    @Test
    void checkpointsAreWholeAndOnlyTheLatestOfAStageIsKept() throws IOException {
        Checkpoints ck = new Checkpoints(tmp);
        ObjectNode state = new ObjectMapper().createObjectNode().put("rng_offset", 1234L);
        ck.save("rl", 10, Map.of("w", Tensor.of(new float[] {1, 2, 3}, 3)), Map.of("m.0", Tensor.of(new float[] {4, 5, 6}, 3)), state);
        ck.save("rl", 20, Map.of("w", Tensor.of(new float[] {7, 8, 9}, 3)), Map.of(), state);
        Checkpoints.Loaded l = ck.latest().orElseThrow();
        assertEquals(20, l.step());
        assertEquals("rl", l.stage());
        assertEquals(1234L, l.state().get("rng_offset").asLong());
        assertArrayEquals(new float[] {7, 8, 9}, l.model().get("w").toFloatArray(), 0f);
        assertFalse(Files.exists(ck.root().resolve("rl-000010")), "the older checkpoint of the stage is removed");
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
