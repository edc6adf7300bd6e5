package org.racro4j.training.tasks;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Objects;

/**
 * One visual question with its verifiable answer and the gold text description of its image.
 *
 * <p>For built-in items, {@code facts} are atomic sentences each ending in {@code " ."}, the gold
 * description is exactly {@code String.join(" ", facts)}, and {@code neededFacts} indexes the facts the
 * answer depends on: the answer recomputed from those facts alone is the same answer. Items loaded from an
 * external dataset may have no facts; their gold description is then free text (possibly empty) and
 * {@code neededFacts} is empty.
 *
 * <p>The image is a {@code TYPE_INT_RGB} {@link BufferedImage}. {@code BufferedImage} is mutable and has
 * identity equality, so two items with pixel-equal images are not {@code equals}; compare texts with
 * {@link #contentKey()} and pixels explicitly.
 *
 * @param id           unique within its source, e.g. "train-42" or "data.jsonl:17"
 * @param family       family id ({@link TaskFamily#id()}) or "external"
 * @param category     category id ({@link TaskCategory#id()}) or a dataset's own category
 * @param choices      answer options for multiple-choice items, empty otherwise
 * @param seed         the seed the item was generated from (the line number for loaded items)
 */
public record TaskItem(
        String id,
        String family,
        String category,
        BufferedImage image,
        String question,
        String answer,
        AnswerType answerType,
        List<String> choices,
        String goldDescription,
        List<String> facts,
        List<Integer> neededFacts,
        long seed) {

    public TaskItem {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(answerType, "answerType");
        Objects.requireNonNull(goldDescription, "goldDescription");
        if (image.getType() != BufferedImage.TYPE_INT_RGB) {
            throw new IllegalArgumentException("image must be TYPE_INT_RGB, got type " + image.getType());
        }
        choices = List.copyOf(choices);
        facts = List.copyOf(facts);
        neededFacts = List.copyOf(neededFacts);
        if (!facts.isEmpty()) {
            for (String fact : facts) {
                if (!fact.endsWith(" .")) {
                    throw new IllegalArgumentException("a fact must end with \" .\": " + fact);
                }
            }
            if (!goldDescription.equals(String.join(" ", facts))) {
                throw new IllegalArgumentException("gold description is not the concatenation of the facts");
            }
        }
        for (int index : neededFacts) {
            if (index < 0 || index >= facts.size()) {
                throw new IllegalArgumentException("needed fact index " + index + " out of range");
            }
        }
    }

    /**
     * The text identity of an item: question and gold description. Split disjointness is defined on this
     * key (see {@link SplitOverlap}).
     */
    public String contentKey() {
        return question + "\n" + goldDescription;
    }

    /**
     * The needed facts joined into a description, in fact order: the question-focused evidence. An item of a dataset
     * has no facts, only its own description (possibly empty), which then is its evidence.
     */
    public String neededDescription() {
        if (facts.isEmpty()) return goldDescription;
        StringBuilder text = new StringBuilder();
        for (int index : neededFacts) {
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(facts.get(index));
        }
        return text.toString();
    }

    public boolean hasChoices() {
        return !choices.isEmpty();
    }
}
