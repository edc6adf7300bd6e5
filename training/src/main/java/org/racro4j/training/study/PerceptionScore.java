package org.racro4j.training.study;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.racro4j.training.tasks.TaskItem;

/**
 * How well a caption states the facts a question needs: the share of the needed facts the caption states, minus the
 * share of its sentences that are not true of the image. A study compares arms by this score to see whether the
 * captioner's perception, not only the final answer, got better.
 *
 * <p>Captions are word-level, lower-case, with sentences that end in a {@code " ."} token, like the item's facts
 * (see {@link org.racro4j.training.text.DescriptionViews}). A sentence counts only as a whole: "red circle at top left
 * ." states the fact of that name, "circle at top left ." states no fact (it is not among the item's facts, so it
 * counts as invented even though it is true). A trailing fragment without {@code " ."} is a sentence too, so a caption
 * cut off mid-sentence pays for its fragment instead of hiding it.
 *
 * <p>Sentences are compared as a set: saying a fact twice states nothing new, so repeating a true sentence cannot
 * dilute the share of invented ones, and repeating a false one does not count twice.
 *
 * <p>Items without needed facts have no recall: their score is NaN, and {@link #mean} leaves them out. They are the
 * items of external datasets (no facts at all, the gold description is free text) and built-in questions whose answer
 * needs no fact: counts whose answer is 0 ("how many red shapes are there ?" with no red shape; a large share of
 * count_color and count_shape, some of compare_counts and arithmetic). Counting their recall as 1 instead would give a
 * caption that states nothing a perfect score on them.
 */
public final class PerceptionScore {
    /**
     * @param recall   share of the item's needed facts among the caption's sentences, in [0, 1]; NaN for an item
     *                 without needed facts
     * @param invented share of the caption's distinct sentences that are none of the item's facts, in [0, 1]; 0 for a
     *                 caption without sentences; NaN for an item without facts (nothing to check sentences against)
     * @param score    {@code recall - invented}, in [-1, 1]; NaN where either is
     */
    public record Score(double recall, double invented, double score) {}

    private PerceptionScore() {}

    public static Score of(TaskItem item, String caption) {
        Objects.requireNonNull(caption, "caption");
        Set<String> said = new LinkedHashSet<>(sentences(caption));
        double recall = Double.NaN;
        if (!item.neededFacts().isEmpty()) {
            int stated = 0;
            for (int index : item.neededFacts()) {
                if (said.contains(normalise(item.facts().get(index)))) stated++;
            }
            recall = stated / (double) item.neededFacts().size();
        }
        double invented = Double.NaN;
        if (!item.facts().isEmpty()) {
            Set<String> facts = new HashSet<>();
            for (String fact : item.facts()) facts.add(normalise(fact));
            int unknown = 0;
            for (String sentence : said) {
                if (!facts.contains(sentence)) unknown++;
            }
            invented = said.isEmpty() ? 0 : unknown / (double) said.size();
        }
        return new Score(recall, invented, recall - invented);
    }

    /**
     * The mean score over the items whose score is finite (NaN if there is none), {@code captions.get(i)} being the
     * caption of {@code items.get(i)}.
     */
    public static double mean(List<TaskItem> items, List<String> captions) {
        if (items.size() != captions.size()) {
            throw new IllegalArgumentException(items.size() + " items but " + captions.size() + " captions");
        }
        double sum = 0;
        int scored = 0;
        for (int i = 0; i < items.size(); i++) {
            double score = of(items.get(i), captions.get(i)).score();
            if (Double.isFinite(score)) {
                sum += score;
                scored++;
            }
        }
        return scored == 0 ? Double.NaN : sum / scored;
    }

    /**
     * The caption's sentences in order, words separated by single spaces: each ends at a {@code "."} token, and words
     * after the last one form a final sentence of their own.
     */
    public static List<String> sentences(String caption) {
        List<String> out = new ArrayList<>();
        StringBuilder sentence = new StringBuilder();
        for (String word : caption.strip().split("\\s+")) {
            if (word.isEmpty()) continue;
            if (sentence.length() > 0) sentence.append(' ');
            sentence.append(word);
            if (word.equals(".")) {
                out.add(sentence.toString());
                sentence.setLength(0);
            }
        }
        if (sentence.length() > 0) out.add(sentence.toString());
        return out;
    }

    private static String normalise(String text) {
        return String.join(" ", text.strip().split("\\s+"));
    }
}
