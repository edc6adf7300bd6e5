package org.racro4j.training.roles;

import org.racro4j.training.tasks.TaskItem;

/**
 * One sampled response of the policy.
 *
 * @param image   row of the step's image batch the response saw (CAPTIONER), or -1 (SOLVER: text only)
 * @param context the prompt tokens (BOS included; the image tokens, if any, come before them)
 * @param text    the response decoded up to EOS
 * @param caption for a SOLVER rollout, the caption it answered from; null otherwise
 */
public record Rollout(TaskItem task, Role role, int image, int[] context, int[] response, String text, boolean stopped, String caption) {}
