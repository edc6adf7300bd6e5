package org.racro4j.training.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.training.tasks.TaskItem;

/**
 * The words of an evaluation's questions and gold descriptions that the models' tokenizers do not know. A word-level
 * tokenizer (the built-in tasks' has 108 words) turns each into {@code <unk>}, so the model reads another question
 * than the dataset's and its score is not the dataset's score. `racro4j eval` refuses such items, naming them, unless
 * asked to count them instead.
 *
 * <p>The captioner reads the question; the reasoner reads the question and, for the oracle, the gold description.
 */
public final class UnknownWords {
    /** How many items and words a refusal names before "...". */
    private static final int SHOWN = 5;

    /** An item with unknown words: those of its question and those of its gold description, in order, each once. */
    public record Item(TaskItem item, List<String> question, List<String> description) {}

    /** No unknown words. */
    public static final UnknownWords NONE = new UnknownWords(List.of(), 0);

    private final List<Item> items;
    private final int occurrences;

    private UnknownWords(List<Item> items, int occurrences) {
        this.items = List.copyOf(items);
        this.occurrences = occurrences;
    }

    /**
     * @param gold the description the reasoner reads for each item as the oracle ({@link Evaluator#gold})
     */
    public static UnknownWords find(List<TaskItem> items, List<String> gold, Tokenizer captioner, Tokenizer reasoner) {
        Known byCaptioner = new Known(captioner);
        Known byReasoner = new Known(reasoner);
        List<Item> found = new ArrayList<>();
        int occurrences = 0;
        for (int i = 0; i < items.size(); i++) {
            TaskItem item = items.get(i);
            Set<String> question = new LinkedHashSet<>();
            Set<String> description = new LinkedHashSet<>();
            for (String w : words(item.question())) {
                if (!byCaptioner.knows(w) || !byReasoner.knows(w)) {
                    question.add(w);
                    occurrences++;
                }
            }
            for (String w : words(gold.get(i))) {
                if (!byReasoner.knows(w)) {
                    description.add(w);
                    occurrences++;
                }
            }
            if (!question.isEmpty() || !description.isEmpty()) {
                found.add(new Item(item, List.copyOf(question), List.copyOf(description)));
            }
        }
        return new UnknownWords(found, occurrences);
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** The items that have unknown words. */
    public List<Item> items() {
        return items;
    }

    /** Unknown words in all, each time one occurs. */
    public int occurrences() {
        return occurrences;
    }

    /** The distinct unknown words, in order of first appearance. */
    public List<String> words() {
        Set<String> all = new LinkedHashSet<>();
        for (Item it : items) {
            all.addAll(it.question());
            all.addAll(it.description());
        }
        return List.copyOf(all);
    }

    /**
     * One line naming the first item with unknown words (file:line for a JSONL dataset, else the item's id), its first
     * few unknown words, and how many of {@code total} items have some.
     */
    public String refusal(Path jsonl, int total) {
        Item first = items.get(0);
        List<String> places = new ArrayList<>();
        for (Item it : items.subList(0, Math.min(SHOWN, items.size()))) places.add(place(it, jsonl, false));
        StringBuilder m = new StringBuilder(place(first, jsonl, true)).append(": words the run's models do not know (they would read <unk>): ");
        List<String> parts = new ArrayList<>();
        if (!first.question().isEmpty()) parts.add(quoted(first.question()) + " (question)");
        if (!first.description().isEmpty()) parts.add(quoted(first.description()) + " (description)");
        m.append(String.join(", ", parts));
        boolean one = items.size() == 1;
        m.append("; ").append(items.size()).append(" of ").append(total).append(one ? " items has" : " items have").append(" such words (")
                .append(jsonl != null ? (one ? "line " : "lines ") : (one ? "item " : "items ")).append(String.join(", ", places))
                .append(items.size() > SHOWN ? ", ..." : "").append(")");
        m.append(". Reword them in the models' vocabulary, or pass --allow-unknown-words to evaluate anyway and count them");
        return m.toString();
    }

    /** A JSONL item's seed is its line number (see JsonlTasks). */
    private static String place(Item it, Path jsonl, boolean full) {
        if (jsonl == null) return (full ? "item " : "") + it.item().id();
        return full ? jsonl + ":" + it.item().seed() : Long.toString(it.item().seed());
    }

    private static String quoted(List<String> words) {
        List<String> q = new ArrayList<>();
        for (String w : words.subList(0, Math.min(SHOWN, words.size()))) q.add("'" + w + "'");
        return String.join(", ", q) + (words.size() > SHOWN ? ", ..." : "");
    }

    private static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) return out;
        for (String w : text.strip().split("\\s+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /** Whether a tokenizer reads a word as itself: encoding it gives no unk id (a tokenizer without one throws). */
    private static final class Known {
        private final Tokenizer tok;
        private final Integer unk;
        private final Map<String, Boolean> seen = new HashMap<>();

        Known(Tokenizer tok) {
            this.tok = tok;
            this.unk = tok.specialTokens().unk();
        }

        boolean knows(String word) {
            return seen.computeIfAbsent(word, w -> {
                int[] ids;
                try {
                    ids = tok.encode(w);
                } catch (IllegalArgumentException e) {
                    return false;
                }
                if (unk != null) for (int id : ids) if (id == unk) return false;
                return true;
            });
        }
    }
}
