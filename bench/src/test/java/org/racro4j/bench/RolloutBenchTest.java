package org.racro4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Device;

/** bench rollout's JSON line: a grouped run times the plain path beside it and its fork within the shared prefill. */
class RolloutBenchTest {
    private static final DecoderShape SHAPE = new DecoderShape(1, 16, 2, 1, 31);

    @Test
    void aGroupedRunTimesItsForkWithinThePrefill() throws Exception {
        RolloutBench.Result r = RolloutBench.run(SHAPE, 6, 3, 5, 3, Device.CPU, 0, 3);
        JsonNode json = new ObjectMapper().readTree(r.toJson());
        assertEquals(3, json.get("group").asInt());
        double fork = json.get("fork_seconds").asDouble();
        assertTrue(fork > 0 && fork <= r.prefillSeconds(), "fork " + fork + " s of a " + r.prefillSeconds() + " s prefill");
        assertTrue(json.get("plain_seconds").asDouble() > 0 && json.get("group_generation_speedup").asDouble() > 0, r.toJson());

        JsonNode plain = new ObjectMapper().readTree(RolloutBench.run(SHAPE, 6, 1, 5, 3, Device.CPU, 0, 1).toJson());
        assertFalse(plain.has("fork_seconds") || plain.has("group"), plain.toString());
    }
}
