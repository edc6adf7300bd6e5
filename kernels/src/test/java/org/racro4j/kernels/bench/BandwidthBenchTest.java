package org.racro4j.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;
import org.racro4j.core.Backends;

class BandwidthBenchTest {
    private static BackendProvider.Availability cuda() {
        return Backends.provider("cuda").availability();
    }

    @Test
    void withoutAGpuItSaysWhy() {
        assumeFalse(cuda().available(), "a GPU is present: see smallRunOnTheGpu");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> BandwidthBench.run(1 << 20, 1));
        assertTrue(e.getMessage().contains(cuda().description()), e.getMessage());
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> BandwidthBench.run(1000, 5));
        assertThrows(IllegalArgumentException.class, () -> BandwidthBench.run(1 << 20, 0));
    }

    @Test
    @Tag("gpu")
    void smallRunOnTheGpu() {
        assumeTrue(cuda().available(), "no CUDA GPU: " + cuda().description());
        List<String> lines = BandwidthBench.run(16L << 20, 5);
        assertEquals(8, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("{\"op\":\"copy_d2d\""), lines.get(0));
        for (String line : lines) {
            System.out.println(line);
            assertTrue(line.contains("\"gbps\":") && line.contains("\"ratio_to_copy\":"), line);
        }
    }
}
