package org.racro4j.models.generation;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The one rule for sampling settings: temperature finite and >= 0, top-p in (0, 1], top-k >= 0, max new tokens >= 0
 * and within the context after the prompt. Each limit is checked on both sides: the last valid value passes, the
 * first invalid one is refused with the setting's name as given.
 */
class SamplingConfigTest {
    private static String refused(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    private static SamplingConfig config(int maxNew, float temperature, int topK, float topP) {
        return new SamplingConfig(maxNew, temperature, topK, topP, 0, Set.of());
    }

    @Test
    void theLastValidValuesPass() {
        assertDoesNotThrow(() -> config(0, 0f, 0, 1f));
        assertDoesNotThrow(() -> config(Integer.MAX_VALUE, Float.MAX_VALUE, Integer.MAX_VALUE, Float.MIN_VALUE));
    }

    @Test
    void eachOutOfRangeSettingIsRefusedByName() {
        assertEquals("temperature must be finite and >= 0 (0 = greedy), got Infinity", refused(() -> config(8, Float.POSITIVE_INFINITY, 0, 1f)));
        assertEquals("temperature must be finite and >= 0 (0 = greedy), got NaN", refused(() -> config(8, Float.NaN, 0, 1f)));
        assertEquals("temperature must be finite and >= 0 (0 = greedy), got -1.4E-45", refused(() -> config(8, -Float.MIN_VALUE, 0, 1f)));
        // above 1 used to be taken as "off"; 2 is a mistake (a percentage? a temperature?), not a request for no filter
        assertEquals("topP must be in (0, 1] (1 = off), got 1.0000001", refused(() -> config(8, 1f, 0, Math.nextUp(1f))));
        assertEquals("topP must be in (0, 1] (1 = off), got 2.0", refused(() -> config(8, 1f, 0, 2f)));
        assertEquals("topP must be in (0, 1] (1 = off), got 0.0", refused(() -> config(8, 1f, 0, 0f)));
        assertEquals("topP must be in (0, 1] (1 = off), got NaN", refused(() -> config(8, 1f, 0, Float.NaN)));
        assertEquals("topK must be >= 0 (0 = off), got -3", refused(() -> config(8, 1f, -3, 1f)));
        assertEquals("maxNewTokens must be >= 0, got -1", refused(() -> config(-1, 1f, 0, 1f)));
    }

    @Test
    void theNameIsTheOneTheUserWrote() {
        assertEquals("--top-p must be in (0, 1] (1 = off), got 2.0", refused(() -> SamplingConfig.checkTopP("--top-p", 2f)));
        assertEquals("rl.temperature must be finite and >= 0 (0 = greedy), got Infinity",
                refused(() -> SamplingConfig.checkTemperature("rl.temperature", Float.POSITIVE_INFINITY)));
    }

    @Test
    void newTokensMustFitTheContextAfterThePrompt() {
        assertDoesNotThrow(() -> SamplingConfig.checkFitsContext("--max-new-tokens", 28, 4, 32));
        assertEquals("--max-new-tokens (29) does not fit the model's context: the prompt takes 4 of its 32 positions "
                + "(max_position_embeddings), leaving 28 for new tokens", refused(() -> SamplingConfig.checkFitsContext("--max-new-tokens", 29, 4, 32)));
        // no overflow: a count near the int limit is compared as a long
        assertEquals("n (2147483647) does not fit the model's context: the prompt takes 4 of its 32 positions "
                + "(max_position_embeddings), leaving 28 for new tokens", refused(() -> SamplingConfig.checkFitsContext("n", Integer.MAX_VALUE, 4, 32)));
        assertEquals("n (0) does not fit the model's context: the prompt takes 40 of its 32 positions "
                + "(max_position_embeddings), leaving 0 for new tokens", refused(() -> SamplingConfig.checkFitsContext("n", 0, 40, 32)));
    }
}
