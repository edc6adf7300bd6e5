package org.racro4j.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.racro4j.bench.report.RawResults.Row;

/** The report's two PNGs, drawn with XChart from the same numbers as its tables. */
final class Charts {
    private Charts() {}

    /** One bar per compared quantity that has both sides: ours / peer, with the parity line at 1. */
    static void ratios(List<Comparison.Entry> entries, Path png) throws IOException {
        List<String> labels = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (Comparison.Entry e : entries) {
            if (e.ratio() == null) continue;
            labels.add(e.chartLabel());
            ratios.add(e.ratio());
        }
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(560)
                .title("racro4j / peer throughput on the CPU (> 1: racro4j faster)").yAxisTitle("ratio").build();
        chart.getStyler().setXAxisLabelRotation(30);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisDecimalPattern("0.0#");
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.addSeries("racro4j / peer", labels, ratios);
        CategorySeries parity = chart.addSeries("parity", labels, Collections.nCopies(labels.size(), 1.0));
        parity.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        parity.setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Top row: ms per training step along each axis of the sweep; bottom row: peak MiB of live tensors. */
    static void scaling(List<Row> rows, Path png) throws IOException {
        List<XYChart> time = new ArrayList<>();
        List<XYChart> memory = new ArrayList<>();
        for (String axis : ScalingTable.AXES) {
            List<Row> pts = rows.stream().filter(r -> axis.equals(r.str("axis"))).toList();
            double[] x = new double[pts.size()];
            double[] ms = new double[pts.size()];
            double[] mib = new double[pts.size()];
            for (int i = 0; i < pts.size(); i++) {
                x[i] = ScalingTable.x(axis, pts.get(i));
                ms[i] = pts.get(i).num("ms_per_step");
                mib[i] = pts.get(i).num("peak_bytes") / (1 << 20);
            }
            time.add(line("ms per step", ScalingTable.xTitle(axis), "ms / step", x, ms));
            memory.add(line("peak MiB of live tensors", ScalingTable.xTitle(axis), "peak MiB", x, mib));
        }
        List<XYChart> grid = new ArrayList<>(time);
        grid.addAll(memory);
        BitmapEncoder.saveBitmap(grid, 2, ScalingTable.AXES.size(), png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart line(String title, String xTitle, String yTitle, double[] x, double[] y) {
        XYChart c = new XYChartBuilder().width(420).height(320).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setYAxisMin(0.0); // from zero, so the growth reads true
        c.getStyler().setYAxisDecimalPattern("#,##0.#");
        c.getStyler().setXAxisDecimalPattern("#,##0.##");
        if (x.length > 0) c.addSeries(yTitle, x, y).setMarker(SeriesMarkers.CIRCLE);
        return c;
    }
}
