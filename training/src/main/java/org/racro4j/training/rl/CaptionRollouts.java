package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.List;

import org.racro4j.core.Autograd;
import org.racro4j.core.Tensor;
import org.racro4j.models.generation.Generated;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/** Samples G captions for each task of a step: the rollouts of the captioner (RACRO) or Observer (PRCO). */
final class CaptionRollouts {
    private CaptionRollouts() {}

    /** Rollouts in groups of G (task-major); rollout.image() indexes {@code patches}, one row per task. */
    static List<Rollout> sample(CaptionPolicy policy, List<TaskItem> tasks, Tensor patches, int groupSize, float temperature, long seed) {
        int b = tasks.size();
        long[] rows = new long[b * groupSize];
        List<String> questions = new ArrayList<>(rows.length);
        for (int i = 0; i < b; i++) {
            for (int g = 0; g < groupSize; g++) {
                rows[i * groupSize + g] = i;
                questions.add(tasks.get(i).question());
            }
        }
        List<Generated> gens;
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor repeated = patches.indexSelect(0, Tensor.ofLongs(rows, rows.length));
            gens = policy.caption(repeated, questions, temperature, seed);
        }
        List<Rollout> out = new ArrayList<>(rows.length);
        for (int r = 0; r < rows.length; r++) {
            TaskItem task = tasks.get((int) rows[r]);
            Generated g = gens.get(r);
            out.add(new Rollout(task, Role.CAPTIONER, (int) rows[r], policy.captionPrompt(task.question()), g.tokens(),
                    policy.text(g.tokens()), g.stopped(), null));
        }
        return out;
    }
}
