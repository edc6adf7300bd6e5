package org.racro4j.training.run;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG line charts of the numeric metrics of one stage, one chart per metric, drawn from metrics.jsonl. */
public final class Plots {
    private Plots() {}

    /** Writes {@code <dir>/<stage>_<metric>.png} for each listed metric present in the log; returns the files. */
    public static List<Path> write(Path metricsJsonl, String stage, List<String> metrics, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (JsonNode r : MetricsLog.read(metricsJsonl)) {
            if (!r.path("stage").asText().equals(stage)) continue;
            for (String m : metrics) {
                JsonNode v = r.get(m);
                if (v != null && v.isNumber()) series.computeIfAbsent(m, k -> new ArrayList<>()).add(new double[] {r.path("step").asDouble(), v.asDouble()});
            }
        }
        List<Path> files = new ArrayList<>();
        for (var e : series.entrySet()) {
            List<double[]> pts = e.getValue();
            double[] x = new double[pts.size()];
            double[] y = new double[pts.size()];
            for (int i = 0; i < pts.size(); i++) {
                x[i] = pts.get(i)[0];
                y[i] = pts.get(i)[1];
            }
            XYChart chart = new XYChartBuilder().width(640).height(400).title(stage + ": " + e.getKey()).xAxisTitle("step").yAxisTitle(e.getKey()).build();
            chart.getStyler().setLegendVisible(false);
            chart.addSeries(e.getKey(), x, y).setMarker(pts.size() > 60 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            Path png = dir.resolve(stage + "_" + e.getKey() + ".png");
            AtomicFiles.replace(png, p -> {
                try (OutputStream o = Files.newOutputStream(p)) {
                    BitmapEncoder.saveBitmap(chart, o, BitmapEncoder.BitmapFormat.PNG);
                }
            });
            files.add(png);
        }
        return files;
    }
}
