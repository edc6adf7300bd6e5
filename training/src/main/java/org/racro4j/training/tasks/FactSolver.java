package org.racro4j.training.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Answers the built-in questions from text alone, by rule: the question is matched against the question
 * templates and the answer computed from the facts found in the description ({@link SceneFacts}).
 *
 * <p>It is written independently of the generator (it never sees a scene, only words), which makes it an
 * independent check of every generated answer, and it is an oracle "reasoner": given a caption instead of
 * the gold description it answers correctly exactly when the caption states the needed facts. It returns
 * empty when the question is not a built-in template or the text lacks what the answer needs (e.g. no
 * unique circle for "what color is the circle ?"). Counting questions treat the text as complete: with no
 * red objects mentioned, "how many red shapes are there ?" is 0.
 */
public final class FactSolver {

    private record Rule(String template, BiFunction<List<String>, SceneFacts, Optional<String>> solve) {
    }

    /** Grid paths, mazes and knight boards are 4×4, rows and columns 1–4. */
    private static final int GRID = 4;
    private static final int[][] STEPS = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
    private static final int[][] KNIGHT_MOVES = {{-2, -1}, {-2, 1}, {-1, -2}, {-1, 2}, {1, -2}, {1, 2}, {2, -1}, {2, 1}};
    /** Arrow directions in clockwise order. */
    private static final List<String> DIRECTIONS = List.of("up", "right", "down", "left");

    private static final List<Rule> RULES = List.of(
            new Rule("how many {color} shapes are there ?",
                    (a, f) -> count(f, a.get(0), null)),
            new Rule("how many {shapes} are there ?",
                    (a, f) -> count(f, null, singular(a.get(0)))),
            new Rule("are there more {color} shapes than {color} shapes ?",
                    (a, f) -> yesNo(countOf(f, a.get(0), null) > countOf(f, a.get(1), null))),
            new Rule("what color is the {shape} ?",
                    (a, f) -> unique(f, null, a.get(0)).map(ObjectRef::color)),
            new Rule("what shape is the {color} object ?",
                    (a, f) -> unique(f, a.get(0), null).map(ObjectRef::shape)),
            new Rule("what color is the shape {relation} the {color} {shape} ?",
                    (a, f) -> related(f, a.get(0), a.get(1), a.get(2)).map(ObjectRef::color)),
            new Rule("what shape is the object {relation} the {color} {shape} ?",
                    (a, f) -> related(f, a.get(0), a.get(1), a.get(2)).map(ObjectRef::shape)),
            new Rule("is the {color} {shape} {relation} the {color} {shape} ?",
                    (a, f) -> relationHolds(f, a.get(0), a.get(1), a.get(2), a.get(3), a.get(4))),
            new Rule("how many {shapes} and {shapes} are there in total ?",
                    (a, f) -> total(countOf(f, null, singular(a.get(0))), countOf(f, null, singular(a.get(1))))),
            new Rule("how many {color} and {color} shapes are there in total ?",
                    (a, f) -> total(countOf(f, a.get(0), null), countOf(f, a.get(1), null))),
            new Rule("what is the value of the {color} bar ?",
                    (a, f) -> barValue(f, a.get(0)).map(String::valueOf)),
            new Rule("which bar is the {extreme} ?",
                    (a, f) -> extremeBar(f, a.get(0).equals("tallest"))),
            new Rule("what is the sum of the {color} bar and the {color} bar ?",
                    (a, f) -> barValue(f, a.get(0)).flatMap(x -> barValue(f, a.get(1)).map(y -> String.valueOf(x + y)))),
            new Rule("what hour does the clock show ?",
                    (a, f) -> f.clockHours().stream().findFirst().map(String::valueOf)),
            new Rule("what hour will it be in {number} {hours} ?",
                    (a, f) -> f.clockHours().stream().findFirst()
                            .map(h -> String.valueOf(Math.floorMod(h - 1 + Integer.parseInt(a.get(0)), 12) + 1))),
            new Rule("how many steps from the {cell} cell to the {cell} cell ?",
                    (a, f) -> steps(f, a.get(0), a.get(1))),
            new Rule("how many steps from the {cell} cell to the {cell} cell around the walls ?",
                    (a, f) -> gridDistance(f, a.get(0), a.get(1), STEPS, true)),
            new Rule("how many knight moves from the {cell} cell to the {cell} cell ?",
                    (a, f) -> gridDistance(f, a.get(0), a.get(1), KNIGHT_MOVES, false)),
            new Rule("where will the {color} arrow point after {number} quarter {turns} clockwise ?",
                    (a, f) -> f.arrows().stream().filter(arrow -> arrow.color().equals(a.get(0))).findFirst()
                            .map(arrow -> DIRECTIONS.get(Math.floorMod(DIRECTIONS.indexOf(arrow.direction())
                                    + Integer.parseInt(a.get(1)), 4)))));


    private FactSolver() {
    }

    /** The answer to a built-in question from a description, or empty (see the class comment). */
    public static Optional<String> answer(String description, String question) {
        String[] words = joinRelations(question.trim().toLowerCase(Locale.ROOT)).split("\\s+");
        SceneFacts facts = SceneFacts.parse(description);
        for (Rule rule : RULES) {
            List<String> slots = match(rule.template().split(" "), words);
            if (slots != null) {
                return rule.solve().apply(slots, facts);
            }
        }
        return Optional.empty();
    }

    /** "left of" becomes the single word "left_of" so that a relation fills one template slot. */
    private static String joinRelations(String question) {
        return question.replace("left of", "left_of").replace("right of", "right_of");
    }

    /** The words filling the template's {slots}, or null when the question does not fit the template. */
    private static List<String> match(String[] template, String[] words) {
        if (template.length != words.length) {
            return null;
        }
        List<String> slots = new ArrayList<>();
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            String w = words[i];
            boolean fits = switch (t) {
                case "{color}" -> SceneFacts.COLORS.contains(w);
                case "{shape}" -> SceneFacts.SHAPES.contains(w);
                case "{shapes}" -> w.endsWith("s") && SceneFacts.SHAPES.contains(singular(w));
                case "{relation}" -> w.equals("left_of") || w.equals("right_of") || w.equals("above") || w.equals("below");
                case "{extreme}" -> w.equals("tallest") || w.equals("shortest");
                case "{number}" -> w.matches("[0-9]{1,3}");
                case "{hours}" -> w.equals("hour") || w.equals("hours");
                case "{turns}" -> w.equals("turn") || w.equals("turns");
                case "{cell}" -> w.equals("green") || w.equals("red");
                default -> t.equals(w);
            };
            if (!fits) {
                return null;
            }
            if (t.startsWith("{") && !t.equals("{hours}") && !t.equals("{turns}")) {
                slots.add(w);
            }
        }
        return slots;
    }

    private static String singular(String plural) {
        return plural.substring(0, plural.length() - 1);
    }

    private record ObjectRef(String color, String shape, int row, int column) {
    }

    private static int countOf(SceneFacts facts, String color, String shape) {
        int count = 0;
        for (SceneFacts.ObjectFact object : facts.objects()) {
            if ((color == null || object.color().equals(color)) && (shape == null || object.shape().equals(shape))) {
                count++;
            }
        }
        return count;
    }

    private static Optional<String> count(SceneFacts facts, String color, String shape) {
        return Optional.of(String.valueOf(countOf(facts, color, shape)));
    }

    private static Optional<String> total(int a, int b) {
        return Optional.of(String.valueOf(a + b));
    }

    private static Optional<String> yesNo(boolean value) {
        return Optional.of(value ? "yes" : "no");
    }

    /** The only object with this colour and/or shape (null = any), if exactly one exists. */
    private static Optional<ObjectRef> unique(SceneFacts facts, String color, String shape) {
        ObjectRef found = null;
        for (SceneFacts.ObjectFact object : facts.objects()) {
            if ((color == null || object.color().equals(color)) && (shape == null || object.shape().equals(shape))) {
                if (found != null) {
                    return Optional.empty();
                }
                found = new ObjectRef(object.color(), object.shape(), object.row(), object.column());
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether {@code a} stands in {@code relation} to {@code b}, by grid row and column. */
    private static boolean holds(ObjectRef a, String relation, ObjectRef b) {
        return switch (relation) {
            case "left_of" -> a.column() < b.column();
            case "right_of" -> a.column() > b.column();
            case "above" -> a.row() < b.row();
            case "below" -> a.row() > b.row();
            default -> throw new IllegalArgumentException(relation);
        };
    }

    private static Optional<ObjectRef> related(SceneFacts facts, String relation, String color, String shape) {
        Optional<ObjectRef> reference = unique(facts, color, shape);
        if (reference.isEmpty()) {
            return Optional.empty();
        }
        ObjectRef found = null;
        for (SceneFacts.ObjectFact object : facts.objects()) {
            ObjectRef candidate = new ObjectRef(object.color(), object.shape(), object.row(), object.column());
            if (!candidate.equals(reference.get()) && holds(candidate, relation, reference.get())) {
                if (found != null) {
                    return Optional.empty();
                }
                found = candidate;
            }
        }
        return Optional.ofNullable(found);
    }

    private static Optional<String> relationHolds(SceneFacts facts, String colorA, String shapeA, String relation,
                                                  String colorB, String shapeB) {
        Optional<ObjectRef> a = unique(facts, colorA, shapeA);
        Optional<ObjectRef> b = unique(facts, colorB, shapeB);
        if (a.isEmpty() || b.isEmpty()) {
            return Optional.empty();
        }
        return yesNo(holds(a.get(), relation, b.get()));
    }

    private static Optional<Integer> barValue(SceneFacts facts, String color) {
        for (SceneFacts.BarFact bar : facts.bars()) {
            if (bar.color().equals(color)) {
                return Optional.of(bar.value());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> extremeBar(SceneFacts facts, boolean tallest) {
        SceneFacts.BarFact best = null;
        boolean tied = false;
        for (SceneFacts.BarFact bar : facts.bars()) {
            if (best == null || (tallest ? bar.value() > best.value() : bar.value() < best.value())) {
                best = bar;
                tied = false;
            } else if (bar.value() == best.value()) {
                tied = true;
            }
        }
        return best == null || tied ? Optional.empty() : Optional.of(best.color());
    }

    private static Optional<String> steps(SceneFacts facts, String from, String to) {
        SceneFacts.CellFact a = null;
        SceneFacts.CellFact b = null;
        for (SceneFacts.CellFact cell : facts.cells()) {
            if (cell.color().equals(from)) {
                a = cell;
            }
            if (cell.color().equals(to)) {
                b = cell;
            }
        }
        if (a == null || b == null) {
            return Optional.empty();
        }
        return Optional.of(String.valueOf(Math.abs(a.row() - b.row()) + Math.abs(a.column() - b.column())));
    }

    /**
     * Fewest moves from the {@code from} cell to the {@code to} cell on the 4×4 grid, each move one of {@code moves},
     * never entering a wall the text names when {@code aroundWalls} (the text is taken as complete: walls it does not
     * name are not there). Empty when a cell is missing, off the grid or a wall, or the target cannot be reached.
     */
    private static Optional<String> gridDistance(SceneFacts facts, String from, String to, int[][] moves, boolean aroundWalls) {
        Optional<SceneFacts.CellFact> a = cell(facts, from);
        Optional<SceneFacts.CellFact> b = cell(facts, to);
        if (a.isEmpty() || b.isEmpty() || !onGrid(a.get().row(), a.get().column()) || !onGrid(b.get().row(), b.get().column())) {
            return Optional.empty();
        }
        boolean[][] blocked = new boolean[GRID + 1][GRID + 1];
        if (aroundWalls) {
            for (SceneFacts.WallFact wall : facts.walls()) {
                if (onGrid(wall.row(), wall.column())) {
                    blocked[wall.row()][wall.column()] = true;
                }
            }
        }
        if (blocked[a.get().row()][a.get().column()] || blocked[b.get().row()][b.get().column()]) {
            return Optional.empty();
        }
        // breadth-first search from the start cell
        int[][] distance = new int[GRID + 1][GRID + 1];
        for (int[] row : distance) {
            java.util.Arrays.fill(row, -1);
        }
        java.util.ArrayDeque<int[]> queue = new java.util.ArrayDeque<>();
        distance[a.get().row()][a.get().column()] = 0;
        queue.add(new int[] {a.get().row(), a.get().column()});
        while (!queue.isEmpty()) {
            int[] at = queue.poll();
            for (int[] move : moves) {
                int r = at[0] + move[0];
                int c = at[1] + move[1];
                if (onGrid(r, c) && !blocked[r][c] && distance[r][c] < 0) {
                    distance[r][c] = distance[at[0]][at[1]] + 1;
                    queue.add(new int[] {r, c});
                }
            }
        }
        int d = distance[b.get().row()][b.get().column()];
        return d < 0 ? Optional.empty() : Optional.of(String.valueOf(d));
    }

    private static boolean onGrid(int row, int column) {
        return row >= 1 && row <= GRID && column >= 1 && column <= GRID;
    }

    /** The grid cell of this colour (the first one stated). */
    private static Optional<SceneFacts.CellFact> cell(SceneFacts facts, String color) {
        return facts.cells().stream().filter(c -> c.color().equals(color)).findFirst();
    }
}
