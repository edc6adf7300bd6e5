package org.racro4j.training.rl;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** RL configs for the tests: a valid base with the values a test names replaced, keys as in the run config's rl section. */
final class RlConfigs {
    private RlConfigs() {}

    private static Map<String, Object> base() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("algorithm", "racro");
        c.put("steps", 10);
        c.put("prompts_per_step", 4);
        c.put("group_size", 4);
        c.put("temperature", 0.7f);
        c.put("lr", 1e-4);
        c.put("warmup_steps", 0);
        c.put("weight_decay", 0.0);
        c.put("inner_epochs", 1);
        c.put("minibatch", 16);
        c.put("clip_low", 0.2);
        c.put("clip_high", 0.2);
        c.put("aggregation", "token_mean");
        c.put("kl", "k3");
        c.put("kl_coef", 0.001);
        c.put("std_normalize", false);
        c.put("dynamic_sampling", true);
        c.put("max_grad_norm", 1.0);
        c.put("answer_samples", 1);
        c.put("answer_temperature", 0f);
        c.put("reasoner_reward", "expected");
        c.put("rewards", Map.of("caption_utility", 1.0));
        c.put("solver_rewards", Map.of("accuracy", 1.0));
        c.put("response", "answer");
        return c;
    }

    /**
     * The base config with {@code keysAndValues} (key, value, key, value, ...) over it. The key "loss" takes a
     * {@link LossConfig} and stands for its five keys: clip_low, clip_high, aggregation, kl and kl_coef.
     */
    static RlConfig rl(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) throw new IllegalArgumentException("keys and values come in pairs");
        Map<String, Object> c = base();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String key = (String) keysAndValues[i];
            Object value = keysAndValues[i + 1];
            if (key.equals("loss")) {
                LossConfig loss = (LossConfig) value;
                c.put("clip_low", loss.clipLow());
                c.put("clip_high", loss.clipHigh());
                c.put("aggregation", loss.aggregation().name().toLowerCase(Locale.ROOT));
                c.put("kl", loss.kl().name().toLowerCase(Locale.ROOT));
                c.put("kl_coef", loss.klCoef());
            } else if (c.containsKey(key)) {
                c.put(key, value);
            } else {
                throw new IllegalArgumentException("no rl key " + key);
            }
        }
        return new RlConfig((String) c.get("algorithm"), (int) c.get("steps"), (int) c.get("prompts_per_step"), (int) c.get("group_size"),
                (float) c.get("temperature"), number(c, "lr"), (int) c.get("warmup_steps"), number(c, "weight_decay"),
                (int) c.get("inner_epochs"), (int) c.get("minibatch"), number(c, "clip_low"), number(c, "clip_high"),
                (String) c.get("aggregation"), (String) c.get("kl"), number(c, "kl_coef"), (boolean) c.get("std_normalize"),
                (boolean) c.get("dynamic_sampling"), number(c, "max_grad_norm"), (int) c.get("answer_samples"),
                (float) c.get("answer_temperature"), (String) c.get("reasoner_reward"), rewards(c, "rewards"), rewards(c, "solver_rewards"),
                (String) c.get("response"));
    }

    /** A decimal key's value: a double, or a float widened as Java widens it. */
    private static double number(Map<String, Object> c, String key) {
        return ((Number) c.get(key)).doubleValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Double> rewards(Map<String, Object> c, String key) {
        return (Map<String, Double>) c.get(key);
    }
}
