package org.racro4j.training.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reward study's report from random per-seed results: every mean and spread is recomputed here from the seeds'
 * numbers by plain loops (sample std, n - 1), a family missing from one seed's held-out split is averaged over the
 * seeds that have it, and the heat map paints gains red and losses blue in the cells the design and family name.
 */
class RewardReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> IN = List.of("bar_chart", "clock", "knight");
    private static final List<String> OUT = List.of("maze", "arrow");
    private static final Map<String, String> FORMS = new LinkedHashMap<>();

    static {
        FORMS.put("only_accuracy", "answer");
        FORMS.put("mixture", "describe");
    }

    /** A seed's result.json as RewardStudy writes it, with random accuracies; {@code missing} is absent from its split. */
    private static ObjectNode seedResult(long seed, SplittableRandom r, String missing) {
        ObjectNode result = JSON.createObjectNode();
        result.put("seed", seed);
        List<String> families = new ArrayList<>(IN);
        families.addAll(OUT);
        families.remove(missing);
        ObjectNode p = result.putObject("perception");
        p.put("image", r.nextDouble());
        p.put("description", r.nextDouble());
        ObjectNode pf = p.putObject("per_family");
        for (String f : families) pf.putObject(f).put("image", r.nextDouble()).put("description", r.nextDouble());
        ObjectNode warm = result.putObject("warm_start");
        for (String form : List.of("answer", "describe")) {
            ObjectNode w = warm.putObject(form);
            w.put("accuracy", r.nextDouble());
            if (!form.equals("answer")) w.put("perception_score", r.nextDouble() - 0.5);
            ObjectNode per = w.putObject("per_family");
            for (String f : families) per.put(f, r.nextDouble());
        }
        ObjectNode designs = result.putObject("designs");
        for (var e : FORMS.entrySet()) {
            ObjectNode d = designs.putObject(e.getKey());
            d.put("form", e.getValue());
            d.put("accuracy", r.nextDouble());
            if (!e.getValue().equals("answer")) d.put("perception_score", r.nextDouble() - 0.5);
            ObjectNode per = d.putObject("per_family");
            ObjectNode change = d.putObject("change");
            for (String f : families) {
                double after = r.nextDouble();
                per.put(f, after);
                change.put(f, after - warm.path(e.getValue()).path("per_family").path(f).asDouble());
            }
            d.put("in_domain", r.nextDouble() - 0.5);
            d.put("out_of_domain", r.nextDouble() - 0.5);
        }
        return result;
    }

    private static double[] meanStd(List<Double> v) {
        double s = 0;
        for (double x : v) s += x;
        double mean = s / v.size();
        double sq = 0;
        for (double x : v) sq += (x - mean) * (x - mean);
        return new double[] {mean, v.size() < 2 ? 0 : Math.sqrt(sq / (v.size() - 1))};
    }

    @Test
    void meansAndSpreadsAreTheSeedsOwnAndAMissingFamilyIsAveragedOverTheSeedsThatHaveIt(@TempDir Path dir) throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        List<JsonNode> results = List.of(seedResult(1, r, null), seedResult(2, r, "arrow"), seedResult(3, r, null));
        ObjectNode study = RewardReport.build(List.of(1L, 2L, 3L), results, FORMS, IN, OUT, JSON.createObjectNode().put("rl_steps", 7));
        for (String design : FORMS.keySet()) {
            for (String key : List.of("in_domain", "out_of_domain", "accuracy")) {
                List<Double> v = new ArrayList<>();
                for (JsonNode x : results) v.add(x.path("designs").path(design).path(key).asDouble());
                double[] want = meanStd(v);
                assertEquals(want[0], study.path("designs").path(design).path(key).asDouble(), 1e-12, design + " " + key);
                assertEquals(want[1], study.path("designs").path(design).path(key + "_std").asDouble(), 1e-12, design + " " + key + "_std");
            }
            for (String f : List.of("clock", "arrow")) {
                List<Double> change = new ArrayList<>();
                for (JsonNode x : results) {
                    JsonNode c = x.path("designs").path(design).path("change").path(f);
                    if (c.isNumber()) change.add(c.asDouble());
                }
                assertEquals(f.equals("arrow") ? 2 : 3, change.size());
                double[] want = meanStd(change);
                JsonNode got = study.path("designs").path(design).path("per_family").path(f);
                assertEquals(want[0], got.path("change").asDouble(), 1e-12, design + " " + f);
                assertEquals(want[1], got.path("change_std").asDouble(), 1e-12, design + " " + f + " std");
            }
            assertEquals(3, study.path("designs").path(design).path("per_seed").size());
        }
        List<Double> gapImage = new ArrayList<>();
        List<Double> gapText = new ArrayList<>();
        for (JsonNode x : results) {
            gapImage.add(x.path("perception").path("per_family").path("knight").path("image").asDouble());
            gapText.add(x.path("perception").path("per_family").path("knight").path("description").asDouble());
        }
        assertEquals(meanStd(gapText)[0] - meanStd(gapImage)[0], study.path("perception").path("per_family").path("knight").path("gap").asDouble(), 1e-12);
        assertTrue(study.path("perception").has("image_std") && study.path("warm_start").path("describe").has("perception_score"));

        RewardReport.write(dir, study);
        String md = Files.readString(dir.resolve("study.md"));
        String mixtureClock = String.format(java.util.Locale.ROOT, "%+.1f",
                100 * study.path("designs").path("mixture").path("per_family").path("clock").path("change").asDouble());
        assertTrue(md.contains(mixtureClock), "study.md shows mixture's clock change " + mixtureClock);
        assertEquals(JSON.readTree(JSON.writeValueAsString(study)), JSON.readTree(dir.resolve("study.json").toFile()), "study.json is the report");
        BufferedImage png = ImageIO.read(dir.resolve("study_heatmap.png").toFile());
        assertTrue(png.getWidth() > 400 && png.getHeight() > 100);
    }

    /** The heat map's cell colour: red for a gain, blue for a loss, saturating at the table's largest magnitude. */
    @Test
    void gainsAreRedLossesBlueAndNothingWhite() {
        java.awt.Color gain = HeatMap.color(5, 10);
        java.awt.Color loss = HeatMap.color(-10, 10);
        assertTrue(gain.getRed() == 255 && gain.getBlue() < 255 && gain.getGreen() == gain.getBlue(), gain.toString());
        assertTrue(loss.getBlue() == 255 && loss.getRed() < gain.getGreen(), "a larger loss is more saturated: " + loss + " " + gain);
        assertEquals(java.awt.Color.WHITE, HeatMap.color(0, 10));
        assertEquals(java.awt.Color.WHITE, HeatMap.color(Double.NaN, 10));
    }
}
