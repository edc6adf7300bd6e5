package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Questions about shapes scenes. A category that does not apply to a sampled scene (e.g. an attribute
 * question when no shape is unique) makes the generator sample a new scene, so every question has exactly
 * one correct answer.
 */
final class ShapeSceneTasks implements FamilyTasks {

    @Override
    public TaskContent generate(TaskCategory category, SplittableRandom random, int imageSize) {
        for (int attempt = 0; attempt < MAX_SCENE_ATTEMPTS; attempt++) {
            ShapeScene scene = ShapeScene.sample(random);
            Optional<TaskQuestion> question = ask(category, scene, random);
            if (question.isPresent()) {
                return new TaskContent(ShapeSceneRenderer.render(scene, imageSize), scene.facts(), question.get());
            }
        }
        throw new IllegalStateException("no shapes scene supports category " + category);
    }

    static Optional<TaskQuestion> ask(TaskCategory category, ShapeScene scene, SplittableRandom random) {
        return switch (category) {
            case COUNT_COLOR -> Optional.of(countColor(scene, random));
            case COUNT_SHAPE -> Optional.of(countShape(scene, random));
            case COMPARE_COUNTS -> compareCounts(scene, random);
            case ATTRIBUTE -> attribute(scene, random);
            case SPATIAL -> spatial(scene, random);
            case ARITHMETIC -> Optional.of(arithmetic(scene, random));
            default -> throw new IllegalArgumentException("not a shapes category: " + category);
        };
    }

    // how many red shapes are there ?  (colours absent from the scene are asked too: the answer is 0)
    private static TaskQuestion countColor(ShapeScene scene, SplittableRandom random) {
        TaskColor color = pick(List.of(TaskColor.values()), random);
        List<Integer> matching = scene.indicesOf(color);
        return new TaskQuestion(Sentences.question("how", "many", color.word(), "shapes", "are", "there"),
                Integer.toString(matching.size()), AnswerType.NUMBER, matching);
    }

    // how many circles are there ?
    private static TaskQuestion countShape(ShapeScene scene, SplittableRandom random) {
        ShapeKind shape = pick(List.of(ShapeKind.values()), random);
        List<Integer> matching = scene.indicesOf(shape);
        return new TaskQuestion(Sentences.question("how", "many", shape.plural(), "are", "there"),
                Integer.toString(matching.size()), AnswerType.NUMBER, matching);
    }

    // are there more red shapes than blue shapes ?  The wanted answer is drawn first so yes and no are
    // equally frequent; otherwise ties would make "no" the majority answer.
    private static Optional<TaskQuestion> compareCounts(ShapeScene scene, SplittableRandom random) {
        boolean wantYes = random.nextBoolean();
        List<TaskColor[]> pairs = new ArrayList<>();
        for (TaskColor a : TaskColor.values()) {
            for (TaskColor b : TaskColor.values()) {
                if (a != b && (scene.indicesOf(a).size() > scene.indicesOf(b).size()) == wantYes) {
                    pairs.add(new TaskColor[] {a, b});
                }
            }
        }
        if (pairs.isEmpty()) {
            return Optional.empty();
        }
        TaskColor[] pair = pick(pairs, random);
        List<Integer> needed = new ArrayList<>(scene.indicesOf(pair[0]));
        needed.addAll(scene.indicesOf(pair[1]));
        needed.sort(null);
        String text = Sentences.question("are", "there", "more", pair[0].word(), "shapes", "than",
                pair[1].word(), "shapes");
        return Optional.of(new TaskQuestion(text, wantYes ? "yes" : "no", AnswerType.YES_NO, needed));
    }

    // what color is the circle ?  (the circle is the only circle)  |  what shape is the green object ?
    private static Optional<TaskQuestion> attribute(ShapeScene scene, SplittableRandom random) {
        List<TaskQuestion> candidates = new ArrayList<>();
        for (ShapeKind shape : ShapeKind.values()) {
            List<Integer> matching = scene.indicesOf(shape);
            if (matching.size() == 1) {
                ShapeObject object = scene.objects().get(matching.get(0));
                candidates.add(new TaskQuestion(Sentences.question("what", "color", "is", "the", shape.word()),
                        object.color().word(), AnswerType.WORD, matching));
            }
        }
        for (TaskColor color : TaskColor.values()) {
            List<Integer> matching = scene.indicesOf(color);
            if (matching.size() == 1) {
                ShapeObject object = scene.objects().get(matching.get(0));
                candidates.add(new TaskQuestion(
                        Sentences.question("what", "shape", "is", "the", color.word(), "object"),
                        object.shape().word(), AnswerType.WORD, matching));
            }
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(pick(candidates, random));
    }

    /**
     * Two forms, drawn evenly: "what color is the shape left of the blue square ?" (the reference object
     * is uniquely named and exactly one other object stands in the relation to it) and
     * "is the red circle above the green square ?" (both uniquely named; yes and no drawn evenly).
     */
    private static Optional<TaskQuestion> spatial(ShapeScene scene, SplittableRandom random) {
        boolean queryFirst = random.nextBoolean();
        Optional<TaskQuestion> first = queryFirst ? spatialQuery(scene, random) : spatialYesNo(scene, random);
        if (first.isPresent()) {
            return first;
        }
        return queryFirst ? spatialYesNo(scene, random) : spatialQuery(scene, random);
    }

    private static Optional<TaskQuestion> spatialQuery(ShapeScene scene, SplittableRandom random) {
        List<ShapeObject> objects = scene.objects();
        List<TaskQuestion> candidates = new ArrayList<>();
        for (int ref = 0; ref < objects.size(); ref++) {
            if (!scene.isUniquelyNamed(ref)) {
                continue;
            }
            ShapeObject reference = objects.get(ref);
            for (SpatialRelation relation : SpatialRelation.values()) {
                int target = -1;
                int matches = 0;
                for (int i = 0; i < objects.size(); i++) {
                    if (i != ref && relation.holds(objects.get(i), reference)) {
                        target = i;
                        matches++;
                    }
                }
                if (matches != 1) {
                    continue;
                }
                List<Integer> needed = List.of(Math.min(ref, target), Math.max(ref, target));
                ShapeObject found = objects.get(target);
                candidates.add(new TaskQuestion(Sentences.question("what", "color", "is", "the", "shape",
                        relation.words(), "the", reference.color().word(), reference.shape().word()),
                        found.color().word(), AnswerType.WORD, needed));
                candidates.add(new TaskQuestion(Sentences.question("what", "shape", "is", "the", "object",
                        relation.words(), "the", reference.color().word(), reference.shape().word()),
                        found.shape().word(), AnswerType.WORD, needed));
            }
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(pick(candidates, random));
    }

    private static Optional<TaskQuestion> spatialYesNo(ShapeScene scene, SplittableRandom random) {
        boolean wantYes = random.nextBoolean();
        List<ShapeObject> objects = scene.objects();
        List<TaskQuestion> candidates = new ArrayList<>();
        for (int a = 0; a < objects.size(); a++) {
            for (int b = 0; b < objects.size(); b++) {
                if (a == b || !scene.isUniquelyNamed(a) || !scene.isUniquelyNamed(b)) {
                    continue;
                }
                ShapeObject first = objects.get(a);
                ShapeObject second = objects.get(b);
                for (SpatialRelation relation : SpatialRelation.values()) {
                    if (relation.holds(first, second) != wantYes) {
                        continue;
                    }
                    candidates.add(new TaskQuestion(Sentences.question("is", "the", first.color().word(),
                            first.shape().word(), relation.words(), "the", second.color().word(),
                            second.shape().word()), wantYes ? "yes" : "no", AnswerType.YES_NO,
                            List.of(Math.min(a, b), Math.max(a, b))));
                }
            }
        }
        return candidates.isEmpty() ? Optional.empty() : Optional.of(pick(candidates, random));
    }

    // how many circles and squares are there in total ?  |  how many red and blue shapes are there in total ?
    private static TaskQuestion arithmetic(ShapeScene scene, SplittableRandom random) {
        List<Integer> needed = new ArrayList<>();
        String text;
        if (random.nextBoolean()) {
            List<ShapeKind> shapes = pickTwo(List.of(ShapeKind.values()), random);
            needed.addAll(scene.indicesOf(shapes.get(0)));
            needed.addAll(scene.indicesOf(shapes.get(1)));
            text = Sentences.question("how", "many", shapes.get(0).plural(), "and", shapes.get(1).plural(),
                    "are", "there", "in", "total");
        } else {
            List<TaskColor> colors = pickTwo(List.of(TaskColor.values()), random);
            needed.addAll(scene.indicesOf(colors.get(0)));
            needed.addAll(scene.indicesOf(colors.get(1)));
            text = Sentences.question("how", "many", colors.get(0).word(), "and", colors.get(1).word(),
                    "shapes", "are", "there", "in", "total");
        }
        needed.sort(null);
        return new TaskQuestion(text, Integer.toString(needed.size()), AnswerType.NUMBER, needed);
    }

    static <T> T pick(List<T> options, SplittableRandom random) {
        return options.get(random.nextInt(options.size()));
    }

    /** Two distinct options in random order. */
    static <T> List<T> pickTwo(List<T> options, SplittableRandom random) {
        int first = random.nextInt(options.size());
        int second = random.nextInt(options.size() - 1);
        if (second >= first) {
            second++;
        }
        return List.of(options.get(first), options.get(second));
    }
}
