package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Tensor;
import org.racro4j.models.generation.Generated;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.TaskItem;

/**
 * The rollouts of a step come in groups of G, task after task, which is the layout Advantages and GroupAdvantage
 * assume (consecutive entries form a group). Checked by content: with greedy decoding every rollout of group i
 * must be the caption the policy writes for image i and question i on their own, and the tiny policy writes
 * different captions for different images, so a rollout of another task in the group would not match.
 */
class CaptionRolloutsTest {
    @Test
    void groupIHoldsGCaptionsOfTaskIAndItsImage() {
        int groupSize = 3;
        List<TaskItem> tasks = TinyPolicy.tasks(4);
        CaptionPolicy policy = TinyPolicy.create(1);   // a seed whose greedy captions differ between images
        Tensor patches = policy.patches(tasks);
        List<Rollout> rollouts = CaptionRollouts.sample(policy, tasks, patches, groupSize, 0f, 7);
        assertEquals(tasks.size() * groupSize, rollouts.size());
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < tasks.size(); i++) {
            TaskItem task = tasks.get(i);
            Generated alone = policy.caption(patches.narrow(0, i, 1), List.of(task.question()), 0f, 1234).get(0);
            distinct.add(java.util.Arrays.toString(alone.tokens()));
            for (int g = 0; g < groupSize; g++) {
                Rollout r = rollouts.get(i * groupSize + g);
                String where = "rollout " + g + " of group " + i;
                assertSame(task, r.task(), where);
                assertEquals(Role.CAPTIONER, r.role(), where);
                assertEquals(i, r.image(), where + ": image row");
                assertArrayEquals(policy.captionPrompt(task.question()), r.context(), where + ": prompt");
                assertArrayEquals(alone.tokens(), r.response(), where + ": the greedy caption of its own image");
                assertEquals(policy.text(alone.tokens()), r.text(), where);
                assertEquals(alone.stopped(), r.stopped(), where);
                assertEquals(null, r.caption(), where);
            }
        }
        assertTrue(distinct.size() >= 3, "captions tell the images apart (else the test could not see a mix-up): " + distinct);
        patches.close();
    }

    /**
     * Each image and prompt is prefilled once per group and its cache forked: sampled groups must hold exactly the
     * captions of the plain path, which captions every (image, question) row repeated G times.
     */
    @Test
    void sampledGroupsEqualThePlainPathOnRepeatedRows() {
        int groupSize = 4;
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        CaptionPolicy policy = TinyPolicy.create(43);
        Tensor patches = policy.patches(tasks);
        List<Rollout> rollouts = CaptionRollouts.sample(policy, tasks, patches, groupSize, 1.5f, 9);
        long[] rows = new long[tasks.size() * groupSize];
        List<String> questions = new java.util.ArrayList<>();
        for (int r = 0; r < rows.length; r++) {
            rows[r] = r / groupSize;
            questions.add(tasks.get(r / groupSize).question());
        }
        Tensor repeated = patches.indexSelect(0, Tensor.ofLongs(rows, rows.length));
        List<Generated> plain = policy.caption(repeated, questions, 1.5f, 9);
        for (int r = 0; r < rows.length; r++) {
            assertArrayEquals(plain.get(r).tokens(), rollouts.get(r).response(), "rollout " + r);
            assertEquals(plain.get(r).stopped(), rollouts.get(r).stopped(), "rollout " + r);
        }
        repeated.close();
        patches.close();
    }

    @Test
    void sampledGroupsKeepTheirTaskAndMeanLengthCountsResponseTokens() {
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        CaptionPolicy policy = TinyPolicy.create(43);
        Tensor patches = policy.patches(tasks);
        List<Rollout> rollouts = CaptionRollouts.sample(policy, tasks, patches, 5, 1.5f, 9);
        double tokens = 0;
        Set<String> texts = new HashSet<>();
        for (int r = 0; r < rollouts.size(); r++) {
            assertSame(tasks.get(r / 5), rollouts.get(r).task(), "rollout " + r);
            assertEquals(r / 5, rollouts.get(r).image(), "rollout " + r);
            tokens += rollouts.get(r).response().length;
            texts.add(rollouts.get(r).text());
        }
        assertTrue(texts.size() > tasks.size(), "sampling at temperature 1.5 varies captions within a group");
        assertEquals(tokens / rollouts.size(), StepMetrics.meanLength(rollouts), 1e-12);
        assertEquals(0, StepMetrics.meanLength(List.of()), 0);
        patches.close();
    }
}
