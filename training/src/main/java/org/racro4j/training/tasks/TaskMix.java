package org.racro4j.training.tasks;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Relative weights of the task categories. A category with weight 0 is never generated. Changing the
 * mix changes which category each index gets, so items are reproducible for a given (seed, mix, size).
 */
public record TaskMix(Map<TaskCategory, Double> weights) {

    /** A weight as written in a mix: digits, an optional fraction and exponent. */
    private static final Pattern PLAIN_NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    public TaskMix {
        EnumMap<TaskCategory, Double> copy = new EnumMap<>(TaskCategory.class);
        double total = 0;
        for (Map.Entry<TaskCategory, Double> entry : weights.entrySet()) {
            double weight = entry.getValue();
            if (!(weight >= 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("weight of " + entry.getKey().id() + " must be finite and >= 0: " + weight);
            }
            if (weight > 0) {
                copy.put(entry.getKey(), weight);
                total += weight;
            }
        }
        if (total <= 0) {
            throw new IllegalArgumentException("a task mix needs at least one positive weight");
        }
        weights = Collections.unmodifiableMap(copy);
    }

    /** Every category equally often (the default). */
    public static TaskMix uniform() {
        EnumMap<TaskCategory, Double> weights = new EnumMap<>(TaskCategory.class);
        for (TaskCategory category : TaskCategory.values()) {
            weights.put(category, 1.0);
        }
        return new TaskMix(weights);
    }

    /** Family weights, each spread evenly over the family's categories. */
    public static TaskMix byFamily(Map<TaskFamily, Double> familyWeights) {
        EnumMap<TaskCategory, Double> weights = new EnumMap<>(TaskCategory.class);
        familyWeights.forEach((family, weight) -> {
            List<TaskCategory> categories = TaskCategory.of(family);
            for (TaskCategory category : categories) {
                weights.put(category, weight / categories.size());
            }
        });
        return new TaskMix(weights);
    }

    /** Only these categories, equally often. */
    public static TaskMix only(TaskCategory... categories) {
        EnumMap<TaskCategory, Double> weights = new EnumMap<>(TaskCategory.class);
        for (TaskCategory category : categories) {
            weights.put(category, 1.0);
        }
        return new TaskMix(weights);
    }

    /**
     * Parses {@code "count_color=2,clock=1"}: each name is a category id or a family id (a family's weight is
     * spread evenly over its categories; a family and one of its categories both given add up for that category).
     * A name given twice is an error rather than a sum or the last value, since it is almost always a typo for
     * another name; so are an unknown name, an empty entry and a weight that is not a plain decimal number.
     */
    public static TaskMix parse(String text) {
        EnumMap<TaskCategory, Double> weights = new EnumMap<>(TaskCategory.class);
        Set<String> named = new HashSet<>();
        for (String part : text.split(",", -1)) {   // -1: a trailing comma is an empty entry, not nothing
            String[] nameAndWeight = part.trim().split("=", -1);
            if (nameAndWeight.length != 2) {
                throw new IllegalArgumentException("expected name=weight, got '" + part.trim() + "' in \"" + text + "\"");
            }
            String name = nameAndWeight[0].trim();
            String weightText = nameAndWeight[1].trim();
            // Double.parseDouble would also take "2d", "0x1p1" and "NaN"; a mix weight is written as a plain number
            if (!PLAIN_NUMBER.matcher(weightText).matches()) {
                throw new IllegalArgumentException("the weight of " + name + " must be a number, got '" + weightText + "'");
            }
            double weight = Double.parseDouble(weightText);
            List<TaskCategory> categories = categoriesNamed(name);
            if (!named.add(name)) throw new IllegalArgumentException(name + " is named twice in \"" + text + "\"");
            for (TaskCategory category : categories) {
                weights.merge(category, weight / categories.size(), Double::sum);
            }
        }
        return new TaskMix(weights);
    }

    private static List<TaskCategory> categoriesNamed(String name) {
        for (TaskFamily family : TaskFamily.values()) {
            if (family.id().equals(name)) {
                return TaskCategory.of(family);
            }
        }
        for (TaskCategory category : TaskCategory.values()) {
            if (category.id().equals(name)) {
                return List.of(category);
            }
        }
        throw new IllegalArgumentException("unknown task category or family '" + name + "'; categories: "
                + Arrays.stream(TaskCategory.values()).map(TaskCategory::id).collect(Collectors.joining(", "))
                + "; families: " + Arrays.stream(TaskFamily.values()).map(TaskFamily::id).collect(Collectors.joining(", ")));
    }

    public double total() {
        double total = 0;
        for (double weight : weights.values()) {
            total += weight;
        }
        return total;
    }

    /** The fraction of items of this category in the long run. */
    public double probability(TaskCategory category) {
        return weights.getOrDefault(category, 0.0) / total();
    }

    /** The category at cumulative position {@code u ∈ [0, 1)}, categories in declaration order. */
    TaskCategory categoryAt(double u) {
        double target = u * total();
        double cumulative = 0;
        TaskCategory last = null;
        for (Map.Entry<TaskCategory, Double> entry : weights.entrySet()) {
            cumulative += entry.getValue();
            last = entry.getKey();
            if (target < cumulative) {
                return last;
            }
        }
        return last; // only reached through rounding at u close to 1
    }
}
