package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * 2–5 objects in distinct cells of a 3×3 grid, listed colour by colour (red, green, blue, yellow) and, within a
 * colour, in row-major order: the order of the facts, so of every description. Grouping by colour makes the
 * evidence for a colour question ("how many red shapes ?") one contiguous run of the whole-scene description, and
 * leaving the rest out a local decision: stop when the colour changes. With row-major order the RL captioner never
 * learned to list two or more objects for a count (0 of 39 held-out count questions with answer >= 2, fourteen
 * runs); grouped, the same RL run got 7 of 17 colour counts (README, "RL settings tried").
 */
public record ShapeScene(List<ShapeObject> objects) {

    static final int MIN_OBJECTS = 2;
    static final int MAX_OBJECTS = 5;
    // Jitter and size are bounded so that every shape stays inside its cell and covers the cell centre
    // (tests read the colour there); see ShapeSceneRenderer for the triangle's geometry.
    static final double MAX_JITTER = 0.05;
    static final double MIN_HALF_EXTENT = 0.30;
    static final double MAX_HALF_EXTENT = 0.36;

    public ShapeScene {
        objects = List.copyOf(objects);
    }

    static ShapeScene sample(SplittableRandom random) {
        int count = MIN_OBJECTS + random.nextInt(MAX_OBJECTS - MIN_OBJECTS + 1);
        int[] cells = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        for (int i = 0; i < count; i++) { // partial Fisher–Yates: the first `count` cells are a random subset
            int j = i + random.nextInt(cells.length - i);
            int swap = cells[i];
            cells[i] = cells[j];
            cells[j] = swap;
        }
        List<ShapeObject> objects = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TaskColor color = TaskColor.values()[random.nextInt(TaskColor.values().length)];
            ShapeKind shape = ShapeKind.values()[random.nextInt(ShapeKind.values().length)];
            double jitterX = random.nextDouble(-MAX_JITTER, MAX_JITTER);
            double jitterY = random.nextDouble(-MAX_JITTER, MAX_JITTER);
            double halfExtent = random.nextDouble(MIN_HALF_EXTENT, MAX_HALF_EXTENT);
            objects.add(new ShapeObject(color, shape, cells[i] / 3, cells[i] % 3, jitterX, jitterY, halfExtent));
        }
        objects.sort(Comparator.comparingInt((ShapeObject o) -> o.color().ordinal()).thenComparingInt(ShapeObject::cell));
        return new ShapeScene(objects);
    }

    public List<String> facts() {
        List<String> facts = new ArrayList<>();
        for (ShapeObject object : objects) {
            facts.add(object.fact());
        }
        return facts;
    }

    /** Indices of the objects with this colour (equal to their fact indices). */
    List<Integer> indicesOf(TaskColor color) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            if (objects.get(i).color() == color) {
                indices.add(i);
            }
        }
        return indices;
    }

    List<Integer> indicesOf(ShapeKind shape) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            if (objects.get(i).shape() == shape) {
                indices.add(i);
            }
        }
        return indices;
    }

    /** Whether no other object has the same colour and shape, so "the red circle" names it. */
    boolean isUniquelyNamed(int index) {
        ShapeObject object = objects.get(index);
        for (int i = 0; i < objects.size(); i++) {
            ShapeObject other = objects.get(i);
            if (i != index && other.color() == object.color() && other.shape() == object.shape()) {
                return false;
            }
        }
        return true;
    }
}
