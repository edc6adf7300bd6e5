package org.racro4j.models.generation;

import java.util.Set;

/**
 * How to continue a prompt: at most {@code maxNewTokens}; temperature 0 is greedy; topK 0 and topP 1 disable those
 * filters; generation of a row ends at any of {@code stopTokens} (which is kept in the output).
 *
 * <p>The static checks below are the one rule for sampling settings wherever a user gives them (racro4j generate's
 * options, a run config's rl.temperature and rl.answer_temperature): each names the setting the way the user wrote
 * it, so the same mistake gets the same words on the command line and in a YAML file.
 */
public record SamplingConfig(int maxNewTokens, float temperature, int topK, float topP, long seed, Set<Integer> stopTokens) {
    public SamplingConfig {
        checkMaxNewTokens("maxNewTokens", maxNewTokens);
        checkTemperature("temperature", temperature);
        checkTopK("topK", topK);
        checkTopP("topP", topP);
        stopTokens = Set.copyOf(stopTokens);
    }

    public static SamplingConfig greedy(int maxNewTokens, Set<Integer> stopTokens) {
        return new SamplingConfig(maxNewTokens, 0f, 0, 1f, 0, stopTokens);
    }

    public SamplingConfig withSeed(long s) {
        return new SamplingConfig(maxNewTokens, temperature, topK, topP, s, stopTokens);
    }

    /** Logits are divided by the temperature: an infinite one would make every token equally likely, NaN all NaN. */
    public static void checkTemperature(String name, float temperature) {
        if (!(temperature >= 0 && temperature < Float.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0 (0 = greedy), got " + temperature);
        }
    }

    /** The nucleus is a probability mass: above 1 it would silently mean "off", at 0 or below it holds no token. */
    public static void checkTopP(String name, float topP) {
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException(name + " must be in (0, 1] (1 = off), got " + topP);
    }

    public static void checkTopK(String name, int topK) {
        if (topK < 0) throw new IllegalArgumentException(name + " must be >= 0 (0 = off), got " + topK);
    }

    public static void checkMaxNewTokens(String name, int maxNewTokens) {
        if (maxNewTokens < 0) throw new IllegalArgumentException(name + " must be >= 0, got " + maxNewTokens);
    }

    /**
     * Refuses more new tokens than the model's context has positions left after the prompt: generation would stop
     * there anyway, so a larger number only promises what cannot be given (and sizes buffers for it).
     */
    public static void checkFitsContext(String name, int maxNewTokens, int promptTokens, int context) {
        if ((long) promptTokens + maxNewTokens > context) {
            throw new IllegalArgumentException(name + " (" + maxNewTokens + ") does not fit the model's context: the prompt takes "
                    + promptTokens + " of its " + context + " positions (max_position_embeddings), leaving "
                    + Math.max(0, context - promptTokens) + " for new tokens");
        }
    }
}
