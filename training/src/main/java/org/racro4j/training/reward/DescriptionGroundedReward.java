package org.racro4j.training.reward;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * Rewards captions by how well they are grounded in the gold description rather than by the reasoner's answer:
 * recall of the facts the question needs (each fact sentence present in the caption), minus half the share of
 * the caption's fact-shaped sentences that are false (not among the gold facts). Items without facts score 0.
 */
public final class DescriptionGroundedReward implements Reward {
    /** Sentences of the full fact forms; partial-view sentences ("circle at top left .") are never counted false. */
    private static final Pattern FACT_SHAPED = Pattern.compile(
            "\\w+ (circle|square|triangle) at \\w+ \\w+ \\.|the \\w+ bar is \\d+ \\.|the clock shows \\d+ o'clock \\."
                    + "|the \\w+ cell is at row \\d+ column \\d+ \\.|a wall is at row \\d+ column \\d+ \\."
                    + "|the \\w+ arrow points \\w+ \\.");

    @Override
    public String name() {
        return "grounded";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) out[i] = grounding(rollouts.get(i).task(), rollouts.get(i).text());
        return out;
    }

    public static double grounding(TaskItem task, String caption) {
        if (task.facts().isEmpty()) return 0;
        Set<String> sentences = new HashSet<>(sentences(caption));
        List<Integer> needed = task.neededFacts();
        double recall;
        if (needed.isEmpty()) {
            recall = sentences.isEmpty() ? 0 : 1;
        } else {
            int hit = 0;
            for (int f : needed) if (sentences.contains(task.facts().get(f))) hit++;
            recall = hit / (double) needed.size();
        }
        Set<String> gold = new HashSet<>(task.facts());
        int shaped = 0;
        int wrong = 0;
        for (String s : sentences) {
            if (FACT_SHAPED.matcher(s).matches()) {
                shaped++;
                if (!gold.contains(s)) wrong++;
            }
        }
        return recall - (shaped == 0 ? 0 : 0.5 * wrong / shaped);
    }

    /** Sentences of a caption, each with its closing " .". */
    static List<String> sentences(String caption) {
        List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String w : caption.strip().split("\\s+")) {
            if (w.isEmpty()) continue;
            if (cur.length() > 0) cur.append(' ');
            cur.append(w);
            if (w.equals(".")) {
                out.add(cur.toString());
                cur.setLength(0);
            }
        }
        return out;
    }
}
