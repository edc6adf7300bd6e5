package org.racro4j.models.generation;

import java.util.Set;

/**
 * How to continue a prompt: at most {@code maxNewTokens}; temperature 0 is greedy; topK &lt;= 0 and topP &gt;= 1
 * disable those filters; generation of a row ends at any of {@code stopTokens} (which is kept in the output).
 */
public record SamplingConfig(int maxNewTokens, float temperature, int topK, float topP, long seed, Set<Integer> stopTokens) {
    public SamplingConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        if (temperature < 0 || Float.isNaN(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        stopTokens = Set.copyOf(stopTokens);
    }

    public static SamplingConfig greedy(int maxNewTokens, Set<Integer> stopTokens) {
        return new SamplingConfig(maxNewTokens, 0f, 0, 1f, 0, stopTokens);
    }

    public SamplingConfig withSeed(long s) {
        return new SamplingConfig(maxNewTokens, temperature, topK, topP, s, stopTokens);
    }
}
