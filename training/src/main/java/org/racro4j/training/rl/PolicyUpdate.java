package org.racro4j.training.rl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.racro4j.core.Autograd;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.Parallel;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.GradClip;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;

/**
 * The optimisation half of a GRPO step: given rollouts with advantages, record π_old (and π_ref) log-probs, then
 * for each inner epoch shuffle the rollouts into minibatches and take one clipped policy-gradient step per
 * minibatch (with KL to the reference, global-norm clipping and AdamW). Rollouts of every role, with or without
 * an image, can share a minibatch.
 */
public final class PolicyUpdate {
    private final CaptionPolicy policy;
    private final CaptionPolicy reference;
    private final AdamW optimizer;
    private final RlConfig cfg;

    public PolicyUpdate(CaptionPolicy policy, CaptionPolicy reference, AdamW optimizer, RlConfig cfg) {
        this.policy = policy;
        this.reference = reference;
        this.optimizer = optimizer;
        this.cfg = cfg;
    }

    /**
     * What one update did, averaged over the minibatches it stepped on (NaN when it stepped on none); how many it skipped
     * because their loss or gradient norm was not finite, and what was non-finite in the last of those (null if none).
     */
    public record Stats(double loss, double clipFraction, double kl, double entropy, double ratio, double gradNorm, int optimizerSteps,
                        long tokens, int skippedNonFinite, String nonFinite) {}

    /**
     * @param patches    the step's images [N, P, F]; rollouts point into it with {@link Rollout#image()}
     * @param advantages one per rollout
     */
    public Stats apply(List<Rollout> rollouts, double[] advantages, Tensor patches, long seed) {
        int n = rollouts.size();
        if (n == 0 || advantages.length != n) {
            throw new IllegalArgumentException("policy update: " + n + " rollouts and " + advantages.length + " advantages (need one per rollout, at least one)");
        }
        int maxLen = policy.maxCaptionTokens();   // the constant length TOKEN_SUM_NORM divides by
        Tensor[] old;
        Tensor[] ref;
        if (cfg.loss().klCoef() > 0 && patches.device().equals(Device.CPU)) {
            // Two forward passes that do not depend on each other: on the CPU, one core each (Parallel.concurrently).
            Tensor[][] both = new Tensor[2][];
            Parallel.concurrently(() -> both[0] = logProbs(policy, rollouts, patches), () -> both[1] = logProbs(reference, rollouts, patches));
            old = both[0];
            ref = both[1];
        } else {
            old = logProbs(policy, rollouts, patches);
            ref = cfg.loss().klCoef() > 0 ? logProbs(reference, rollouts, patches) : new Tensor[n];
        }
        double lossSum = 0, clipSum = 0, klSum = 0, entSum = 0, ratioSum = 0, normSum = 0;
        long tokens = 0;
        int steps = 0;
        int skipped = 0;
        String nonFinite = null;
        try {
            for (int[] idx : minibatches(n, cfg.minibatch(), cfg.innerEpochs(), seed)) {
                try (Scope scope = Scope.open()) {
                    TeacherForcing.Scores sc = score(policy, rollouts, idx, patches, true);
                    int len = sc.logProbs().size(1);
                    float[] adv = new float[idx.length];
                    for (int i = 0; i < idx.length; i++) adv[i] = (float) advantages[idx[i]];
                    Tensor oldT = stack(old, idx, len);
                    Tensor refT = cfg.loss().klCoef() > 0 ? stack(ref, idx, len) : null;
                    PolicyLoss.Result r = PolicyLoss.compute(sc.logProbs(), oldT, refT,
                            Tensor.of(adv, idx.length).to(sc.logProbs().device()), sc.mask(), cfg.loss(), maxLen);
                    // A non-finite loss or gradient norm (NaN log-probs, an overflowing ratio) would make every weight and
                    // both AdamW moments NaN: the minibatch is skipped instead, and the step's metrics count it.
                    float loss = r.loss().item();
                    if (!Float.isFinite(loss)) {   // no backward: its gradients would not be finite either
                        skipped++;
                        nonFinite = "the loss is " + loss;
                        continue;
                    }
                    r.loss().backward();
                    float norm = GradClip.clipGradNorm(policy.model().parameters(), (float) cfg.maxGradNorm());
                    if (!Float.isFinite(norm)) {   // clipGradNorm leaves a non-finite norm's gradients unscaled
                        optimizer.zeroGrad();
                        skipped++;
                        nonFinite = "the gradient norm is " + norm + " (loss " + loss + ")";
                        continue;
                    }
                    normSum += norm;
                    optimizer.step();
                    optimizer.zeroGrad();
                    double t = sc.mask().sum().item();
                    tokens += (long) t;
                    lossSum += loss;
                    clipSum += r.clipFraction();
                    klSum += r.meanKl();
                    ratioSum += r.meanRatio();
                    entSum += sc.entropy().sum().item() / Math.max(1, t);
                    steps++;
                }
            }
        } finally {
            for (Tensor t : old) if (t != null) t.close();
            for (Tensor t : ref) if (t != null) t.close();
        }
        return new Stats(lossSum / steps, clipSum / steps, klSum / steps, entSum / steps, ratioSum / steps, normSum / steps, steps, tokens,
                skipped, nonFinite);
    }

    /**
     * The log-probabilities {@code p} gives each rollout's tokens, one [1, len] tensor per rollout, without gradients:
     * π_old (before the update) and π_ref.
     */
    Tensor[] logProbs(CaptionPolicy p, List<Rollout> rollouts, Tensor patches) {
        int n = rollouts.size();
        Tensor[] out = new Tensor[n];
        int chunk = Math.max(cfg.minibatch(), 32);
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (int s = 0; s < n; s += chunk) {
                int[] idx = range(s, Math.min(n, s + chunk));
                try (Scope scope = Scope.open()) {   // the forward pass's activations go back at once; the rows escape
                    split(score(p, rollouts, idx, patches, false).logProbs(), rollouts, idx, out);
                }
            }
        }
        return out;
    }

    /**
     * Scores rows idx of the rollouts, result rows in idx order. Rows are scored in groups that share an input shape
     * and a temperature: image rows with their images first, text rows alone. Each row is scored at the temperature
     * it was sampled with, so that π_old is the distribution that drew the tokens and the ratio and the KL estimate
     * are about the policy that acts (as TRL and verl do): captions and the Answerer's answers at rl.temperature,
     * Solver answers at rl.answer_temperature (greedy answers, temperature 0, at 1).
     */
    private TeacherForcing.Scores score(CaptionPolicy p, List<Rollout> rollouts, int[] idx, Tensor patches, boolean entropy) {
        java.util.Map<String, List<Integer>> groups = new java.util.LinkedHashMap<>();
        for (int i = 0; i < idx.length; i++) {
            Rollout r = rollouts.get(idx[i]);
            groups.computeIfAbsent((r.image() >= 0 ? "image@" : "text@") + temperature(r.role()), k -> new ArrayList<>()).add(i);
        }
        List<TeacherForcing.Scores> scores = new ArrayList<>(groups.size());
        long[] position = new long[idx.length];
        int at = 0;
        for (List<Integer> rows : groups.values()) {
            Rollout first = rollouts.get(idx[rows.get(0)]);
            scores.add(scoreGroup(p, rollouts, idx, rows, first.image() >= 0 ? patches : null, temperature(first.role()), entropy));
            for (int row : rows) position[row] = at++;
        }
        if (scores.size() == 1) return scores.get(0);
        // Concatenate the groups, then gather rows back into idx order.
        int len = 0;
        for (TeacherForcing.Scores sc : scores) len = Math.max(len, sc.logProbs().size(1));
        Tensor order = Tensor.ofLongs(position, idx.length).to(patches.device());
        List<Tensor> lp = new ArrayList<>(), mask = new ArrayList<>(), ent = new ArrayList<>();
        for (TeacherForcing.Scores sc : scores) {
            lp.add(padTo(sc.logProbs(), len));
            mask.add(padTo(sc.mask(), len));
            if (entropy) ent.add(padTo(sc.entropy(), len));
        }
        return new TeacherForcing.Scores(Tensor.cat(lp, 0).indexSelect(0, order), Tensor.cat(mask, 0).indexSelect(0, order),
                entropy ? Tensor.cat(ent, 0).indexSelect(0, order) : null);
    }

    /** The temperature a role's rollouts are sampled at (a greedy Solver, temperature 0, is scored at 1). */
    private float temperature(Role role) {
        if (role != Role.SOLVER) return cfg.temperature();
        return cfg.answerTemperature() > 0 ? cfg.answerTemperature() : 1f;
    }

    private static TeacherForcing.Scores scoreGroup(CaptionPolicy p, List<Rollout> rollouts, int[] idx, List<Integer> rows,
                                                    Tensor patches, float temperature, boolean entropy) {
        List<int[]> ctx = new ArrayList<>(rows.size());
        List<int[]> resp = new ArrayList<>(rows.size());
        long[] images = new long[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Rollout r = rollouts.get(idx[rows.get(i)]);
            ctx.add(r.context());
            resp.add(r.response());
            images[i] = r.image();
        }
        Tensor rowPatches = patches == null ? null : patches.indexSelect(0, Tensor.ofLongs(images, images.length).to(patches.device()));
        return p.score(rowPatches, ctx, resp, temperature, entropy);
    }

    /** Zero-pads [B, L] on the right to [B, len]. */
    static Tensor padTo(Tensor t, int len) {
        int l = t.size(1);
        if (l == len) return t;
        return Tensor.cat(List.of(t, Tensor.zeros(t.dtype(), t.device(), t.size(0), len - l)), 1);
    }

    /** Keeps row i of a [B, L] result, trimmed to its response's length, as a tensor owned here. */
    private static void split(Tensor lp, List<Rollout> rollouts, int[] idx, Tensor[] into) {
        for (int i = 0; i < idx.length; i++) {
            int len = rollouts.get(idx[i]).response().length;
            into[idx[i]] = Scope.escape(lp.narrow(0, i, 1).narrow(1, 0, len).copy());
        }
    }

    private static Tensor stack(Tensor[] rows, int[] idx, int len) {
        List<Tensor> parts = new ArrayList<>(idx.length);
        for (int i : idx) parts.add(padTo(rows[i], len));
        return Tensor.cat(parts, 0);
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    /**
     * The minibatches of an update, in the order they are stepped: for each inner epoch the rollouts 0..n-1 are
     * shuffled (seeded) and cut into runs of {@code size}, the last one shorter when size does not divide n.
     */
    static List<int[]> minibatches(int n, int size, int epochs, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = shuffled(n, rng);
            for (int s = 0; s < n; s += size) out.add(Arrays.copyOfRange(order, s, Math.min(n, s + size)));
        }
        return out;
    }

    private static int[] shuffled(int n, SplittableRandom rng) {
        int[] p = range(0, n);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
