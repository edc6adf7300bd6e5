package org.racro4j.training.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.training.run.AtomicFiles;

/**
 * The reward study's report ({@code racro4j study rewards}): the seeds' results (each seed's result.json) turned into
 * study.json, rendered as study.md and the design × family heat map of changes over the warm start. Every number is a
 * mean over the seeds with its sample standard deviation ({@link StudyReport#std}); the markdown and the heat map show
 * only what study.json holds.
 *
 * <p>A seed's result holds {@code perception} (the warm start answering from the image and from the gold description,
 * overall and {@code per_family}), {@code warm_start} (per response form: {@code accuracy}, {@code per_family} and,
 * for forms that write evidence, {@code perception_score}) and {@code designs} (per design: its {@code form}, the same
 * keys, {@code change} per family over the warm start in its form, {@code in_domain} and {@code out_of_domain}: the mean
 * change over those families).
 */
public final class RewardReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RewardReport() {}

    /**
     * @param forms each design's response form, in the order to report them
     */
    public static ObjectNode build(List<Long> seeds, List<JsonNode> results, Map<String, String> forms, List<String> inDomain,
                                   List<String> outOfDomain, ObjectNode protocol) {
        if (seeds.isEmpty() || seeds.size() != results.size()) throw new IllegalArgumentException(seeds.size() + " seeds, " + results.size() + " results");
        List<String> families = new ArrayList<>(inDomain);
        families.addAll(outOfDomain);
        ObjectNode study = JSON.createObjectNode();
        study.put("study", "rewards");
        ArrayNode s = study.putArray("seeds");
        seeds.forEach(s::add);
        ObjectNode fam = study.putObject("families");
        inDomain.forEach(fam.putArray("in_domain")::add);
        outOfDomain.forEach(fam.putArray("out_of_domain")::add);

        ObjectNode perception = study.putObject("perception");
        putMean(perception, "image", results, r -> r.path("perception").path("image"));
        putMean(perception, "description", results, r -> r.path("perception").path("description"));
        putNumber(perception, "gap", number(perception.get("description")) - number(perception.get("image")));
        ObjectNode perceptionFamilies = perception.putObject("per_family");
        for (String f : families) {
            ObjectNode o = perceptionFamilies.putObject(f);
            putMean(o, "image", results, r -> r.path("perception").path("per_family").path(f).path("image"));
            putMean(o, "description", results, r -> r.path("perception").path("per_family").path(f).path("description"));
            putNumber(o, "gap", number(o.get("description")) - number(o.get("image")));
        }
        ArrayNode perceptionSeeds = perception.putArray("per_seed");
        for (int i = 0; i < seeds.size(); i++) {
            ObjectNode o = perceptionSeeds.addObject();
            o.put("seed", seeds.get(i));
            putNumber(o, "image", number(results.get(i).path("perception").path("image")));
            putNumber(o, "description", number(results.get(i).path("perception").path("description")));
        }

        ObjectNode warm = study.putObject("warm_start");
        for (String form : forms.values().stream().distinct().toList()) {
            ObjectNode o = warm.putObject(form);
            putMean(o, "accuracy", results, r -> r.path("warm_start").path(form).path("accuracy"));
            if (results.get(0).path("warm_start").path(form).has("perception_score")) {
                putMean(o, "perception_score", results, r -> r.path("warm_start").path(form).path("perception_score"));
            }
            ObjectNode per = o.putObject("per_family");
            for (String f : families) putMean(per, f, results, r -> r.path("warm_start").path(form).path("per_family").path(f));
        }

        ObjectNode designs = study.putObject("designs");
        for (var e : forms.entrySet()) {
            String name = e.getKey();
            Function<JsonNode, JsonNode> design = r -> r.path("designs").path(name);
            ObjectNode o = designs.putObject(name);
            o.put("form", e.getValue());
            putMean(o, "in_domain", results, r -> design.apply(r).path("in_domain"));
            putMean(o, "out_of_domain", results, r -> design.apply(r).path("out_of_domain"));
            putMean(o, "accuracy", results, r -> design.apply(r).path("accuracy"));
            if (design.apply(results.get(0)).has("perception_score")) {
                putMean(o, "perception_score", results, r -> design.apply(r).path("perception_score"));
            }
            ObjectNode per = o.putObject("per_family");
            for (String f : families) {
                ObjectNode pf = per.putObject(f);
                putMean(pf, "change", results, r -> design.apply(r).path("change").path(f));
                putMean(pf, "accuracy", results, r -> design.apply(r).path("per_family").path(f));
                putMean(pf, "warm_start", results, r -> r.path("warm_start").path(e.getValue()).path("per_family").path(f));
            }
            ArrayNode perSeed = o.putArray("per_seed");
            for (int i = 0; i < seeds.size(); i++) {
                JsonNode d = design.apply(results.get(i));
                ObjectNode ps = perSeed.addObject();
                ps.put("seed", seeds.get(i));
                for (String k : List.of("in_domain", "out_of_domain", "accuracy")) putNumber(ps, k, number(d.path(k)));
                ps.set("per_family", d.path("change").deepCopy());
            }
        }
        study.set("protocol", protocol);
        return study;
    }

    /**
     * {@code key} and {@code key_std}: the mean and sample std over the seeds of the value each result has there, over
     * the seeds that have one (a family can be missing from a small held-out split); both null when none has.
     */
    private static void putMean(ObjectNode out, String key, List<JsonNode> results, Function<JsonNode, JsonNode> value) {
        List<Double> v = new ArrayList<>();
        for (JsonNode r : results) {
            JsonNode n = value.apply(r);
            if (n.isNumber() && Double.isFinite(n.asDouble())) v.add(n.asDouble());
        }
        if (v.isEmpty()) {
            out.putNull(key);
            out.putNull(key + "_std");
            return;
        }
        double[] x = v.stream().mapToDouble(Double::doubleValue).toArray();
        out.put(key, StudyReport.mean(x));
        out.put(key + "_std", StudyReport.std(x));
    }

    /** JSON has no NaN: a number that is not finite is written as null. */
    private static void putNumber(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    /** A number of the report, NaN where it has none (null or absent). */
    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    /** The study for people: the protocol, the perception table, and the designs' changes over the warm start. */
    public static String markdown(ObjectNode study) {
        List<String> inDomain = names(study.path("families").path("in_domain"));
        List<String> outOfDomain = names(study.path("families").path("out_of_domain"));
        List<String> families = new ArrayList<>(inDomain);
        families.addAll(outOfDomain);
        StringBuilder b = new StringBuilder("# racro4j study rewards\n\nSeeds: " + study.path("seeds") + ". Held-out accuracy, mean ± sample std over "
                + "the seeds. RL trains on " + String.join(", ", inDomain) + "; " + String.join(", ", outOfDomain) + " are held out of RL.\n\n");
        b.append("## Protocol\n\n");
        study.path("protocol").properties().forEach(e -> {
            if (e.getValue().isObject()) e.getValue().properties().forEach(d -> b.append("- ").append(e.getKey()).append(" ").append(d.getKey())
                    .append(": ").append(d.getValue().asText()).append('\n'));
            else b.append("- ").append(e.getKey()).append(": ").append(e.getValue().asText()).append('\n');
        });
        JsonNode p = study.path("perception");
        b.append("\n## Perception: the warm start answering from the image or from the gold description\n\n")
                .append("| family | image | description | description − image |\n|---|---|---|---|\n");
        for (String f : families) {
            JsonNode o = p.path("per_family").path(f);
            b.append(row(f, pm(o, "image"), pm(o, "description"), signed(o.path("gap"))));
        }
        b.append(row("**all**", pm(p, "image"), pm(p, "description"), signed(p.path("gap"))));

        b.append("\n## Reward designs: change over the warm start in the design's own form (points of accuracy)\n\n")
                .append("| design | form | in-domain | out-of-domain | accuracy | perception score |\n|---|---|---|---|---|---|\n");
        study.path("designs").properties().forEach(e -> {
            JsonNode d = e.getValue();
            b.append(row(e.getKey(), d.path("form").asText(), points(d, "in_domain"), points(d, "out_of_domain"), pm(d, "accuracy"),
                    d.has("perception_score") ? pm(d, "perception_score") : "–"));
        });
        b.append("\n| design |");
        for (String f : families) b.append(' ').append(f).append(outOfDomain.contains(f) ? " (held out)" : "").append(" |");
        b.append("\n|---|").append("---|".repeat(families.size())).append('\n');
        study.path("designs").properties().forEach(e -> {
            b.append("| ").append(e.getKey()).append(" |");
            for (String f : families) b.append(' ').append(points(e.getValue().path("per_family").path(f), "change")).append(" |");
            b.append('\n');
        });
        b.append("\n| warm start | form |");
        for (String f : families) b.append(' ').append(f).append(" |");
        b.append(" perception score |\n|---|---|").append("---|".repeat(families.size() + 1)).append('\n');
        study.path("warm_start").properties().forEach(e -> {
            b.append("| warm start | ").append(e.getKey()).append(" |");
            for (String f : families) b.append(' ').append(pm(e.getValue().path("per_family"), f)).append(" |");
            b.append(' ').append(e.getValue().has("perception_score") ? pm(e.getValue(), "perception_score") : "–").append(" |\n");
        });
        return b.toString();
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static String pm(JsonNode o, String key) {
        if (!o.path(key).isNumber()) return "–";
        return String.format(Locale.ROOT, "%.3f ± %.3f", o.path(key).asDouble(), o.path(key + "_std").asDouble());
    }

    /** A change in points of accuracy, signed, with its spread. */
    private static String points(JsonNode o, String key) {
        if (!o.path(key).isNumber()) return "–";
        return String.format(Locale.ROOT, "%+.1f ± %.1f", 100 * o.path(key).asDouble(), 100 * o.path(key + "_std").asDouble());
    }

    private static String signed(JsonNode v) {
        return v.isNumber() ? String.format(Locale.ROOT, "%+.3f", v.asDouble()) : "–";
    }

    /** Writes study.json, study.md and study_heatmap.png into {@code dir}, each atomically. */
    public static void write(Path dir, ObjectNode study) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("study.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(study) + "\n");
        AtomicFiles.writeString(dir.resolve("study.md"), markdown(study));
        List<String> families = names(study.path("families").path("in_domain"));
        families.addAll(names(study.path("families").path("out_of_domain")));
        List<String> designs = new ArrayList<>();
        study.path("designs").fieldNames().forEachRemaining(designs::add);
        double[][] change = new double[designs.size()][families.size()];
        for (int d = 0; d < designs.size(); d++) {
            for (int f = 0; f < families.size(); f++) {
                change[d][f] = 100 * number(study.path("designs").path(designs.get(d)).path("per_family").path(families.get(f)).path("change"));
            }
        }
        List<String> columns = new ArrayList<>();
        int held = names(study.path("families").path("in_domain")).size();
        for (int f = 0; f < families.size(); f++) columns.add(families.get(f) + (f >= held ? "*" : ""));
        HeatMap.write(dir.resolve("study_heatmap.png"), "change over the warm start, points (* held out of RL), mean over seeds " + study.path("seeds"),
                designs, columns, change);
    }
}
