package org.racro4j.training.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.racro4j.training.tasks.TaskItem;

/**
 * Descriptions of a built-in task's image. The FOCUSED view is the question-focused gold evidence: exactly the
 * facts the answer needs (what RACRO's "describe the image for this question" and PRCO's evidence caption aim
 * at, and what the reasoner is trained to read). The other views are what a generic captioner writes — the whole
 * scene, or the scene without some detail — true, but not focused on the question. The warm-start captioner
 * learns mostly those, and the focused one only sometimes; RL has to teach it to give the evidence the question
 * needs.
 *
 * <ul>
 * <li>shapes: "red circle at top left ." per object, or without colours ("circle at top left ."), without shapes
 * ("red object at top left ."), without positions ("red circle ."), or a summary ("the image shows a scene
 * with 3 shapes .")</li>
 * <li>bar charts: "the red bar is 7 ." per bar, or without values ("there is a red bar ."), or a summary</li>
 * <li>clocks, grids, mazes, knight boards and arrows: the facts, or a summary that names no time, position or
 * direction (for arrows it names their colours, left to right)</li>
 * </ul>
 */
public final class DescriptionViews {
    public enum View {
        FOCUSED, FULL, NO_COLOR, NO_SHAPE, NO_POSITION, NO_VALUE, SUMMARY;

        /** The view a config names in lower case ("no_shape"); the error lists the valid names. */
        public static View parse(String name) {
            for (View v : values()) if (v.name().equalsIgnoreCase(name)) return v;
            throw new IllegalArgumentException("unknown description view '" + name + "' (valid: "
                    + java.util.Arrays.stream(values()).map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).toList() + ")");
        }
    }

    private static final Pattern SHAPE_FACT = Pattern.compile("(\\w+) (\\w+) at (\\w+) (\\w+) \\.");
    private static final Pattern BAR_FACT = Pattern.compile("the (\\w+) bar is (\\d+) \\.");
    private static final Pattern ARROW_FACT = Pattern.compile("the (\\w+) arrow points \\w+ \\.");

    private DescriptionViews() {}

    /** The generic (not question-focused) views a family offers: the whole scene, and partial ones. */
    public static List<View> genericViews(String family) {
        return switch (family) {
            case "shapes" -> List.of(View.FULL, View.NO_COLOR, View.NO_SHAPE, View.NO_POSITION, View.SUMMARY);
            case "bar_chart" -> List.of(View.FULL, View.NO_VALUE, View.SUMMARY);
            case "clock", "grid_path", "maze", "knight", "arrow" -> List.of(View.FULL, View.SUMMARY);
            default -> List.of();
        };
    }

    /** The generic views that leave details out (all but FULL). */
    public static List<View> partialViews(String family) {
        return genericViews(family).stream().filter(v -> v != View.FULL).toList();
    }

    /**
     * The focused gold evidence with probability {@code focusedProbability}, else one of the family's generic views
     * that {@code allowed} names, chosen uniformly (the focused evidence where the family has none of them).
     */
    public static String sample(TaskItem item, double focusedProbability, Set<View> allowed, SplittableRandom random) {
        List<View> generic = genericViews(item.family()).stream().filter(allowed::contains).toList();
        if (generic.isEmpty() || random.nextDouble() < focusedProbability) return item.neededDescription();
        return render(item, generic.get(random.nextInt(generic.size())));
    }

    /** A partial view chosen uniformly (the whole scene minus some detail); the gold description if none exists. */
    public static String samplePartial(TaskItem item, SplittableRandom random) {
        List<View> partial = partialViews(item.family());
        return partial.isEmpty() ? item.goldDescription() : render(item, partial.get(random.nextInt(partial.size())));
    }

    public static String render(TaskItem item, View view) {
        if (view == View.FOCUSED) return item.neededDescription();
        if (view == View.FULL || item.facts().isEmpty()) return item.goldDescription();
        List<String> out = new ArrayList<>();
        switch (item.family()) {
            case "shapes" -> {
                if (view == View.SUMMARY) return "the image shows a scene with " + item.facts().size() + " shapes .";
                for (String f : item.facts()) {
                    Matcher m = SHAPE_FACT.matcher(f);
                    if (!m.matches()) throw new IllegalArgumentException("not a shape fact: " + f);
                    out.add(switch (view) {
                        case NO_COLOR -> m.group(2) + " at " + m.group(3) + " " + m.group(4) + " .";
                        case NO_SHAPE -> m.group(1) + " object at " + m.group(3) + " " + m.group(4) + " .";
                        case NO_POSITION -> m.group(1) + " " + m.group(2) + " .";
                        default -> throw new IllegalArgumentException(view + " is not a view of shapes");
                    });
                }
            }
            case "bar_chart" -> {
                if (view == View.SUMMARY) return "the image shows a chart with " + item.facts().size() + " bars .";
                for (String f : item.facts()) {
                    Matcher m = BAR_FACT.matcher(f);
                    if (!m.matches()) throw new IllegalArgumentException("not a bar fact: " + f);
                    out.add("there is a " + m.group(1) + " bar .");
                }
            }
            case "clock" -> {
                return "the image shows a clock .";
            }
            case "grid_path", "knight" -> {
                return "the image shows a grid with a green cell and a red cell .";
            }
            case "maze" -> {
                return "the image shows a grid with a green cell , a red cell and " + (item.facts().size() - 2) + " walls .";
            }
            case "arrow" -> {
                // the colours, left to right, without directions: "the image shows a red arrow and a blue arrow ."
                List<String> arrows = new ArrayList<>();
                for (String f : item.facts()) {
                    Matcher m = ARROW_FACT.matcher(f);
                    if (!m.matches()) throw new IllegalArgumentException("not an arrow fact: " + f);
                    arrows.add("a " + m.group(1) + " arrow");
                }
                return "the image shows " + String.join(" and ", arrows) + " .";
            }
            default -> {
                return item.goldDescription();
            }
        }
        return String.join(" ", out);
    }
}
