package org.racro4j.training.tasks;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Relative weights of the task categories. A category with weight 0 is never generated. Changing the
 * mix changes which category each index gets, so items are reproducible for a given (seed, mix, size).
 */
public record TaskMix(Map<TaskCategory, Double> weights) {

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
     * Parses {@code "count_color=2,clock=1"}: each name is a category id or a family id (a family's weight
     * is spread evenly over its categories; weights given for the same category add up).
     */
    public static TaskMix parse(String text) {
        EnumMap<TaskCategory, Double> weights = new EnumMap<>(TaskCategory.class);
        for (String part : text.split(",")) {
            String[] nameAndWeight = part.trim().split("=");
            if (nameAndWeight.length != 2) {
                throw new IllegalArgumentException("expected name=weight, got '" + part.trim() + "' in: " + text);
            }
            String name = nameAndWeight[0].trim();
            double weight;
            try {
                weight = Double.parseDouble(nameAndWeight[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of " + name + " is not a number: " + nameAndWeight[1], e);
            }
            List<TaskCategory> categories = categoriesNamed(name);
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
        return List.of(TaskCategory.fromId(name));
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
