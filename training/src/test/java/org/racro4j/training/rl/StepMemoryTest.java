package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import org.junit.jupiter.api.Test;

import org.racro4j.core.MemoryStats;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.CpuBackend;
import org.racro4j.training.reward.DescriptionGroundedReward;
import org.racro4j.training.reward.FormatReward;
import org.racro4j.training.reward.LeakagePenalty;
import org.racro4j.training.reward.WeightedReward;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.tasks.TaskItem;

/**
 * An RL step returns every storage it allocates: after the first step (which creates the optimizer's moments and
 * the parameters' gradients) the CPU backend's live storages and bytes in use are the same before and after each
 * further step. On a GPU, where nothing is garbage collected, a storage a step forgets is device memory lost for
 * the rest of the run; the CPU backend counts the same allocations, so the leak shows here.
 */
class StepMemoryTest {

    static RlConfig config(String algorithm) {
        return RlConfigs.rl("algorithm", algorithm, "steps", 10, "prompts_per_step", 3, "group_size", 4, "temperature", 2f, "lr", 1e-3,
                "weight_decay", 0.0, "minibatch", 8, "kl_coef", 0.05, "answer_samples", 2, "answer_temperature", 1f);
    }

    @Test
    void racroStepsLeaveNothingBehind() {
        CaptionPolicy policy = TinyPolicy.create(3);
        RlConfig cfg = config("racro");
        WeightedReward reward = new WeightedReward(List.of(new WeightedReward.Term(1, StepReference.TEXT_HASH),
                new WeightedReward.Term(0.5, new FormatReward()), new WeightedReward.Term(0.5, new DescriptionGroundedReward())));
        PolicyUpdate update = new PolicyUpdate(policy, TinyPolicy.create(4), StepReference.optimizer(policy, cfg), cfg);
        RacroStep step = new RacroStep(policy, reward, update, cfg);
        assertStepsLeaveNothingBehind(s -> step.run(TinyPolicy.tasks(3), s, 100 + s));
    }

    @Test
    void prcoStepsLeaveNothingBehind() {
        CaptionPolicy policy = TinyPolicy.create(3);
        RlConfig cfg = config("prco");
        WeightedReward extras = new WeightedReward(List.of(new WeightedReward.Term(1, StepReference.TEXT_HASH),
                new WeightedReward.Term(1, new LeakagePenalty())));
        WeightedReward solver = new WeightedReward(List.of(new WeightedReward.Term(1, StepReference.TEXT_HASH)));
        PolicyUpdate update = new PolicyUpdate(policy, TinyPolicy.create(4), StepReference.optimizer(policy, cfg), cfg);
        PrcoStep step = new PrcoStep(policy, 1, extras, solver, update, cfg);
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        assertStepsLeaveNothingBehind(s -> step.run(tasks, s, 100 + s));
    }

    /** Captioning outside a step (the evaluations do it) frees the image embeddings it computes. */
    @Test
    void captioningLeavesNothingBehind() {
        CaptionPolicy policy = TinyPolicy.create(3);
        List<TaskItem> tasks = TinyPolicy.tasks(3);
        List<String> questions = tasks.stream().map(TaskItem::question).toList();
        try (Tensor patches = policy.patches(tasks)) {
            policy.caption(patches, questions, 1f, 4);   // the first call may size the model's position tables, which stay
            MemoryStats before = CpuBackend.INSTANCE.memoryStats();
            policy.caption(patches, questions, 1f, 5);
            MemoryStats after = CpuBackend.INSTANCE.memoryStats();
            assertEquals(before.liveStorages(), after.liveStorages(), "live storages across captioning");
            assertEquals(before.bytesInUse(), after.bytesInUse(), "bytes in use across captioning");
        }
    }

    private static void assertStepsLeaveNothingBehind(IntFunction<Map<String, Object>> step) {
        Map<String, Object> first = step.apply(0);
        assertTrue(((Number) first.get("optimizer_steps")).intValue() > 0, "the step updated the policy: " + first);
        for (int s = 1; s <= 2; s++) {
            MemoryStats before = CpuBackend.INSTANCE.memoryStats();
            Map<String, Object> m = step.apply(s);
            MemoryStats after = CpuBackend.INSTANCE.memoryStats();
            assertTrue(((Number) m.get("optimizer_steps")).intValue() > 0, "step " + s + " updated the policy");
            assertEquals(before.liveStorages(), after.liveStorages(), "live storages across step " + s);
            assertEquals(before.bytesInUse(), after.bytesInUse(), "bytes in use across step " + s);
        }
    }
}
