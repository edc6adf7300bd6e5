package org.racro4j.training.reward;

import java.util.List;

import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.text.Explained;
import org.racro4j.training.text.Prompts;
import org.racro4j.training.verify.AnswerFormat;
import org.racro4j.training.verify.FormatCheck;

/**
 * 1 when a rollout has the form its role requires, else 0. A caption must end by itself (EOS) and be a
 * sequence of sentences each closed by " ."; an answer (Solver's or Answerer's) must end by itself and read as exactly
 * one answer line. A Thinker's or Describer's response must end by itself, have exactly one answer marker, evidence
 * before it that is a sequence of closed sentences, and one answer line after it.
 */
public final class FormatReward implements Reward {
    @Override
    public String name() {
        return "format";
    }

    @Override
    public double[] score(List<Rollout> rollouts, long seed) {
        double[] out = new double[rollouts.size()];
        for (int i = 0; i < out.length; i++) out[i] = wellFormed(rollouts.get(i)) ? 1 : 0;
        return out;
    }

    public static boolean wellFormed(Rollout r) {
        if (!r.stopped() || r.text().isBlank()) return false;
        if (r.role().explains()) {
            Explained e = Explained.parse(r.text());
            return e.markers() == 1 && sentences(e.evidence()) && !e.answer().isEmpty() && answerLine(e.answer());
        }
        if (r.role() != Role.CAPTIONER) return answerLine(r.text());
        return sentences(r.text());
    }

    private static boolean answerLine(String answer) {
        return FormatCheck.follows(Prompts.answerLine(answer), AnswerFormat.ANSWER_LINE);
    }

    /** Whether a text (non-blank) ends with a closed sentence. */
    private static boolean sentences(String text) {
        String t = text.strip();
        return t.endsWith(" .") || t.equals(".");
    }
}
