package org.racro4j.training.study;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.racro4j.training.run.AtomicFiles;

/**
 * The results of a study: several arms (training recipes) each run at the same seeds. One seed's result says little
 * when arms differ by a few points, so every number is reported as its mean over the seeds with the sample standard
 * deviation and the range, and a difference between arms can be read against the seed-to-seed spread.
 *
 * <p>{@link #build} turns the per-seed results into one JSON object; {@link #markdown} and {@link #writeChart} render
 * that object, so the tables and the chart show exactly what study.json holds; {@link #write} writes all three.
 */
public final class StudyReport {
    /** The chart's size in pixels: wide enough for twelve categories of four bars with their names. */
    static final int CHART_WIDTH = 1200;
    static final int CHART_HEIGHT = 500;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NONE = "–";

    /**
     * One arm's result at one seed.
     *
     * @param accuracy        held-out accuracy
     * @param perCategory     held-out accuracy of each category present in the held-out set
     * @param perceptionGap   the runner's perception gap, null for an arm that writes no captions
     * @param perceptionScore the mean {@link PerceptionScore} of the arm's captions, null for an arm that writes none
     */
    public record ArmSeed(double accuracy, Map<String, Double> perCategory, Double perceptionGap, Double perceptionScore) {
        public ArmSeed {
            perCategory = Map.copyOf(perCategory);
        }
    }

    private StudyReport() {}

    /**
     * The study as JSON: its name, seeds, protocol (copied as given) and, per arm in the map's order, the mean,
     * sample standard deviation (0 for one seed), minimum and maximum accuracy over the seeds with the per-seed values,
     * and the mean and standard deviation of each category's accuracy (categories sorted by name; a category is
     * averaged over the seeds whose held-out set has it). The perception gap and score, with their per-seed values,
     * appear only for an arm that has a finite value at every seed: null means the arm writes no captions, NaN that no
     * held-out item had needed facts to score.
     *
     * @param arms each arm's results, {@code arms.get(a).get(i)} being its result at {@code seeds.get(i)}
     * @throws IllegalArgumentException if there is no seed, if an arm has not one result per seed, or if an accuracy
     *                                  is not finite
     */
    public static ObjectNode build(String study, List<Long> seeds, Map<String, List<ArmSeed>> arms, ObjectNode protocol) {
        Objects.requireNonNull(study, "study");
        if (seeds.isEmpty()) throw new IllegalArgumentException("study " + study + " has no seeds");
        ObjectNode root = JSON.createObjectNode();
        root.put("study", study);
        ArrayNode seedArray = root.putArray("seeds");
        for (long seed : seeds) seedArray.add(seed);
        root.set("protocol", protocol.deepCopy());
        ObjectNode armNodes = root.putObject("arms");
        for (Map.Entry<String, List<ArmSeed>> arm : arms.entrySet()) {
            if (arm.getValue().size() != seeds.size()) {
                throw new IllegalArgumentException("arm " + arm.getKey() + " has " + arm.getValue().size() + " results for "
                        + seeds.size() + " seeds");
            }
            armNodes.set(arm.getKey(), summarise(arm.getKey(), seeds, arm.getValue()));
        }
        return root;
    }

    private static ObjectNode summarise(String arm, List<Long> seeds, List<ArmSeed> runs) {
        double[] accuracy = new double[runs.size()];
        SortedMap<String, List<Double>> perCategory = new TreeMap<>();
        for (int i = 0; i < runs.size(); i++) {
            accuracy[i] = finite(runs.get(i).accuracy(), arm, seeds.get(i), "accuracy");
            for (Map.Entry<String, Double> category : runs.get(i).perCategory().entrySet()) {
                double value = finite(category.getValue(), arm, seeds.get(i), "accuracy of " + category.getKey());
                perCategory.computeIfAbsent(category.getKey(), k -> new ArrayList<>()).add(value);
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("accuracy", mean(accuracy));
        out.put("accuracy_std", std(accuracy));
        out.put("accuracy_min", min(accuracy));
        out.put("accuracy_max", max(accuracy));
        putArray(out, "per_seed", accuracy);
        ObjectNode means = out.putObject("per_category");
        ObjectNode stds = out.putObject("per_category_std");
        for (Map.Entry<String, List<Double>> category : perCategory.entrySet()) {
            double[] values = category.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            means.put(category.getKey(), mean(values));
            stds.put(category.getKey(), std(values));
        }
        putPerception(out, "perception_gap", runs.stream().map(ArmSeed::perceptionGap).toList());
        putPerception(out, "perception_score", runs.stream().map(ArmSeed::perceptionScore).toList());
        return out;
    }

    private static double finite(double value, String arm, long seed, String what) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("arm " + arm + " at seed " + seed + ": " + what + " is " + value);
        }
        return value;
    }

    /** Puts {@code key} (the mean) and {@code key_per_seed} if every seed has a finite value. */
    private static void putPerception(ObjectNode out, String key, List<Double> perSeed) {
        double[] values = new double[perSeed.size()];
        for (int i = 0; i < values.length; i++) {
            Double value = perSeed.get(i);
            if (value == null || !Double.isFinite(value)) return;
            values[i] = value;
        }
        out.put(key, mean(values));
        putArray(out, key + "_per_seed", values);
    }

    private static void putArray(ObjectNode out, String key, double[] values) {
        ArrayNode array = out.putArray(key);
        for (double v : values) array.add(v);
    }

    /** The mean over seeds. */
    public static double mean(double[] values) {
        double sum = 0;
        for (double v : values) sum += v;
        return sum / values.length;
    }

    /** The sample standard deviation (dividing by n - 1), 0 for a single value. */
    public static double std(double[] values) {
        if (values.length < 2) return 0;
        double mean = mean(values);
        double squares = 0;
        for (double v : values) squares += (v - mean) * (v - mean);
        return Math.sqrt(squares / (values.length - 1));
    }

    private static double min(double[] values) {
        double min = Double.POSITIVE_INFINITY;
        for (double v : values) min = Math.min(min, v);
        return min;
    }

    private static double max(double[] values) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) max = Math.max(max, v);
        return max;
    }

    /**
     * The study for people: the protocol and seeds, a table of each arm's accuracy, perception gap and perception score
     * ("mean ± std (min–max)" over the seeds, "–" where the arm has none), and a table of each category's accuracy per
     * arm ("mean ± std").
     */
    public static String markdown(ObjectNode study) {
        StringBuilder md = new StringBuilder();
        md.append("# Study ").append(study.path("study").asText()).append("\n\n");
        md.append("Protocol: ").append(protocol(study.path("protocol"))).append("\n\n");
        List<String> seeds = new ArrayList<>();
        study.path("seeds").forEach(s -> seeds.add(s.asText()));
        md.append("Seeds: ").append(String.join(", ", seeds))
                .append(". Each cell is the mean ± sample standard deviation over the seeds, with the range (min–max).\n\n");
        md.append("| arm | accuracy | perception gap | perception score |\n");
        md.append("|---|---|---|---|\n");
        JsonNode arms = study.path("arms");
        for (Map.Entry<String, JsonNode> arm : arms.properties()) {
            JsonNode a = arm.getValue();
            md.append("| ").append(arm.getKey())
                    .append(" | ").append(spread(a.path("accuracy").asDouble(), a.path("accuracy_std").asDouble(),
                            a.path("accuracy_min").asDouble(), a.path("accuracy_max").asDouble()))
                    .append(" | ").append(perception(a, "perception_gap"))
                    .append(" | ").append(perception(a, "perception_score"))
                    .append(" |\n");
        }
        md.append("\n## Held-out accuracy per category\n\n");
        md.append("| category |");
        for (Map.Entry<String, JsonNode> arm : arms.properties()) md.append(' ').append(arm.getKey()).append(" |");
        md.append('\n').append("|---|");
        for (int i = 0; i < arms.size(); i++) md.append("---|");
        md.append('\n');
        for (String category : categories(study)) {
            md.append("| ").append(category).append(" |");
            for (Map.Entry<String, JsonNode> arm : arms.properties()) {
                JsonNode mean = arm.getValue().path("per_category").get(category);
                JsonNode std = arm.getValue().path("per_category_std").get(category);
                md.append(' ').append(mean == null ? NONE : format("%.3f ± %.3f", mean.asDouble(), std.asDouble())).append(" |");
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** "key: value" pairs; text values without their quotes, others as JSON. */
    private static String protocol(JsonNode protocol) {
        List<String> pairs = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : protocol.properties()) {
            JsonNode value = entry.getValue();
            pairs.add(entry.getKey() + ": " + (value.isTextual() ? value.asText() : value.toString()));
        }
        return pairs.isEmpty() ? NONE : String.join(", ", pairs);
    }

    /** The perception column of an arm: its mean, std and range over the per-seed values, or "–". */
    private static String perception(JsonNode arm, String key) {
        JsonNode perSeed = arm.get(key + "_per_seed");
        if (perSeed == null) return NONE;
        double[] values = new double[perSeed.size()];
        for (int i = 0; i < values.length; i++) values[i] = perSeed.get(i).asDouble();
        return spread(arm.path(key).asDouble(), std(values), min(values), max(values));
    }

    private static String spread(double mean, double std, double min, double max) {
        return format("%.3f ± %.3f (%.3f–%.3f)", mean, std, min, max);
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }

    /** Every category any arm reports, sorted by name. */
    private static List<String> categories(ObjectNode study) {
        SortedSet<String> categories = new TreeSet<>();
        study.path("arms").forEach(arm -> arm.path("per_category").fieldNames().forEachRemaining(categories::add));
        return List.copyOf(categories);
    }

    /**
     * A bar chart of each category's mean accuracy per arm, with the standard deviation over the seeds as error bars;
     * an arm without a category leaves a gap.
     *
     * @throws IllegalArgumentException if no arm reports any category
     */
    public static void writeChart(ObjectNode study, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        String name = study.path("study").asText();
        List<String> categories = categories(study);
        if (categories.isEmpty()) throw new IllegalArgumentException("study " + name + " has no per-category accuracy to plot");
        CategoryChart chart = new CategoryChartBuilder().width(CHART_WIDTH).height(CHART_HEIGHT)
                .title("study " + name + ": held-out accuracy per category").xAxisTitle("category").yAxisTitle("accuracy").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setXAxisLabelRotation(20);
        for (Map.Entry<String, JsonNode> arm : study.path("arms").properties()) {
            List<Double> means = new ArrayList<>();
            List<Double> stds = new ArrayList<>();
            for (String category : categories) {
                JsonNode mean = arm.getValue().path("per_category").get(category);
                means.add(mean == null ? Double.NaN : mean.asDouble());
                stds.add(mean == null ? 0.0 : arm.getValue().path("per_category_std").path(category).asDouble());
            }
            chart.addSeries(arm.getKey(), categories, means, stds);
        }
        AtomicFiles.replace(png, p -> {
            try (OutputStream out = Files.newOutputStream(p)) {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        });
    }

    /** Writes {@code dir/study.json}, {@code dir/study.md} and {@code dir/study_per_category.png}, each atomically. */
    public static void write(Path dir, ObjectNode study) throws IOException {
        write(dir, study, "");
    }

    /** {@link #write(Path, ObjectNode)}, with {@code moreMarkdown} (a study's own sections) at the end of study.md. */
    public static void write(Path dir, ObjectNode study, String moreMarkdown) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("study.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(study) + "\n");
        AtomicFiles.writeString(dir.resolve("study.md"), markdown(study) + moreMarkdown);
        writeChart(study, dir.resolve("study_per_category.png"));
    }
}
