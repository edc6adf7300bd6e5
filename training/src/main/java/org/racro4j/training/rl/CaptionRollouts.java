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
        List<String> questions = new ArrayList<>(tasks.size());
        for (TaskItem task : tasks) questions.add(task.question());
        List<Generated> gens;
        try (Autograd.Mode off = Autograd.noGrad()) {
            gens = policy.caption(patches, questions, groupSize, temperature, seed);   // each image and prompt prefilled once
        }
        List<Rollout> out = new ArrayList<>(gens.size());
        for (int r = 0; r < gens.size(); r++) {
            int row = r / groupSize;
            TaskItem task = tasks.get(row);
            Generated g = gens.get(r);
            out.add(new Rollout(task, Role.CAPTIONER, row, policy.captionPrompt(task.question()), g.tokens(),
                    policy.captionText(g.tokens()), g.stopped(), null));
        }
        return out;
    }
}
