package org.racro4j.training.text;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.racro4j.training.tasks.TaskItem;

/**
 * Partial descriptions of a built-in task's image — what a generic captioner writes: true, but missing details
 * a question may need. The warm-start captioner learns them (and, with a small probability, the full gold
 * description); RL has to teach it to include what the question needs.
 *
 * <ul>
 * <li>shapes: "red circle at top left ." per object, or without colours ("circle at top left ."), without shapes
 * ("red object at top left ."), without positions ("red circle ."), or a summary ("the image shows a scene
 * with 3 shapes .")</li>
 * <li>bar charts: "the red bar is 7 ." per bar, or without values ("there is a red bar ."), or a summary</li>
 * <li>clocks and grids: the facts, or a summary that names no time or position</li>
 * </ul>
 */
public final class DescriptionViews {
    public enum View { FULL, NO_COLOR, NO_SHAPE, NO_POSITION, NO_VALUE, SUMMARY }

    private static final Pattern SHAPE_FACT = Pattern.compile("(\\w+) (\\w+) at (\\w+) (\\w+) \\.");
    private static final Pattern BAR_FACT = Pattern.compile("the (\\w+) bar is (\\d+) \\.");

    private DescriptionViews() {}

    /** The views a family offers besides FULL. */
    public static List<View> partialViews(String family) {
        return switch (family) {
            case "shapes" -> List.of(View.NO_COLOR, View.NO_SHAPE, View.NO_POSITION, View.SUMMARY);
            case "bar_chart" -> List.of(View.NO_VALUE, View.SUMMARY);
            case "clock", "grid_path" -> List.of(View.SUMMARY);
            default -> List.of();
        };
    }

    /** The gold description with probability {@code fullProbability}, else one partial view chosen uniformly. */
    public static String sample(TaskItem item, double fullProbability, SplittableRandom random) {
        List<View> partial = partialViews(item.family());
        if (partial.isEmpty() || random.nextDouble() < fullProbability) return item.goldDescription();
        return render(item, partial.get(random.nextInt(partial.size())));
    }

    public static String render(TaskItem item, View view) {
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
            case "grid_path" -> {
                return "the image shows a grid with a green cell and a red cell .";
            }
            default -> {
                return item.goldDescription();
            }
        }
        return String.join(" ", out);
    }
}
