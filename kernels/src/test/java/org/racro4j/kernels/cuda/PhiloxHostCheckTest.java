package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.racro4j.core.random.Philox;

/**
 * The CUDA Philox block function (philox.cuh) against core's Java reference, bit for bit: nvcc builds a small host
 * program from the same header the kernels include and runs it on the CPU. Needs nvcc and a host C++ compiler,
 * no GPU; skipped with a message where nvcc is absent.
 */
class PhiloxHostCheckTest {
    @TempDir
    Path dir;

    @Test
    void cudaPhiloxEqualsTheJavaReference() throws IOException, InterruptedException {
        Optional<Path> nvcc = CudaLibraries.system().findNvcc();
        assumeTrue(nvcc.isPresent(), "nvcc not found: the host-side Philox check is skipped");
        for (Map.Entry<String, String> h : KernelSources.headers().entrySet()) Files.writeString(dir.resolve(h.getKey()), h.getValue());
        Path src = dir.resolve("philox_host_check.cu");
        try (InputStream in = getClass().getResourceAsStream("philox_host_check.cu")) {
            Files.write(src, in.readAllBytes());
        }
        Path exe = dir.resolve("philox_host_check");
        NvccCompiler.run(List.of(nvcc.get().toString(), "-std=c++17", "-I" + dir, "-o", exe.toString(), src.toString()), dir);

        long[][] cases = {{0, 0}, {1, 0}, {0, 1}, {-1, -1}, {0x243F6A8885A308D3L, 0x13198A2E03707344L}, {123456789L, 42}, {1L << 32, 7},
                {(1L << 32) - 1, Long.MIN_VALUE}};
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        for (long[] c : cases) {
            cmd.add(Long.toUnsignedString(c[0]));
            cmd.add(Long.toUnsignedString(c[1]));
        }
        String[] lines = NvccCompiler.run(cmd, dir).strip().split("\n");
        assertEquals(cases.length, lines.length);
        int[] w = new int[4];
        for (int i = 0; i < cases.length; i++) {
            long ctr = cases[i][0];
            long seed = cases[i][1];
            Philox.block((int) ctr, (int) (ctr >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), w);
            String[] parts = lines[i].trim().split(" ");
            for (int k = 0; k < 4; k++) {
                assertEquals(Integer.toUnsignedString(w[k]), parts[k], "word " + k + " of block " + Long.toUnsignedString(ctr)
                        + " with seed " + Long.toUnsignedString(seed));
            }
            assertEquals(Philox.uniform(w[0]), Float.parseFloat(parts[4]), 0f, "uniform of word 0");
        }
        // Random123's known answer for counter 0, key 0.
        assertEquals("1713891541 3781805453 3159862348 2600524760", lines[0].substring(0, lines[0].lastIndexOf(' ')));
    }
}
