package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk cache of compiled kernels: what changes the key, and storing and loading. */
class CubinCacheTest {
    @TempDir
    Path dir;

    private static final KernelCompiler.Target HOPPER = KernelCompiler.Target.forDevice(9, 0);

    private static KernelCompiler.Request request(String source, Map<String, String> headers, List<String> options,
                                                  KernelCompiler.Target target) {
        return new KernelCompiler.Request("softmax", source, headers, options, target);
    }

    @Test
    void keyDependsOnEverythingThatChangesTheBytes() {
        Map<String, String> h = Map.of("common.cuh", "// v1");
        List<String> o = List.of("-std=c++17");
        String base = CubinCache.key(request("src", h, o, HOPPER), "nvrtc 13.0");
        assertEquals(64, base.length());
        assertEquals(base, CubinCache.key(request("src", Map.of("common.cuh", "// v1"), List.of("-std=c++17"), HOPPER), "nvrtc 13.0"));
        assertNotEquals(base, CubinCache.key(request("src2", h, o, HOPPER), "nvrtc 13.0"), "source");
        assertNotEquals(base, CubinCache.key(request("src", Map.of("common.cuh", "// v2"), o, HOPPER), "nvrtc 13.0"), "header");
        assertNotEquals(base, CubinCache.key(request("src", h, List.of("-std=c++20"), HOPPER), "nvrtc 13.0"), "options");
        assertNotEquals(base, CubinCache.key(request("src", h, o, KernelCompiler.Target.forDevice(8, 0)), "nvrtc 13.0"), "arch");
        assertNotEquals(base, CubinCache.key(request("src", h, o, new KernelCompiler.Target(90, false)), "nvrtc 13.0"), "sm_90 vs sm_90a");
        assertNotEquals(base, CubinCache.key(request("src", h, o, HOPPER), "nvrtc 12.8"), "compiler version");
        assertNotEquals(base, CubinCache.key(request("src", h, o, HOPPER), "nvcc 13.0.88"), "compiler");
    }

    @Test
    void partsCannotRunTogether() {
        List<String> o = List.of();
        assertNotEquals(CubinCache.key(request("ab", Map.of(), List.of("c"), HOPPER), "x"),
                CubinCache.key(request("a", Map.of(), List.of("bc"), HOPPER), "x"));
        assertNotEquals(CubinCache.key(request("s", Map.of(), o, HOPPER), "x"), CubinCache.key(request("s", Map.of(), o, HOPPER), "x "));
    }

    @Test
    void hopperGetsTheArchSpecificTarget() {
        assertEquals("sm_90a", HOPPER.smName());
        assertEquals("compute_90a", HOPPER.computeName());
        assertEquals("sm_80", KernelCompiler.Target.forDevice(8, 0).smName());
        assertEquals("sm_89", KernelCompiler.Target.forDevice(8, 9).smName());
        assertEquals("sm_100", KernelCompiler.Target.forDevice(10, 0).smName());
    }

    @Test
    void storeThenLoad() throws IOException {
        CubinCache cache = new CubinCache(dir.resolve("cubin"));
        assertTrue(cache.load("k").isEmpty());
        byte[] image = {1, 2, 3, 4};
        cache.store("k", new KernelCompiler.Image(image, false));
        assertTrue(Files.isRegularFile(dir.resolve("cubin/k.cubin")));
        KernelCompiler.Image back = cache.load("k").orElseThrow();
        assertArrayEquals(image, back.bytes());
        assertFalse(back.ptx());
        cache.store("p", new KernelCompiler.Image(new byte[] {'.', 0}, true));
        assertTrue(cache.load("p").orElseThrow().ptx());
        cache.remove("k");
        assertTrue(cache.load("k").isEmpty());
        try (var files = Files.list(dir.resolve("cubin"))) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")), "no temp files are left behind");
        }
    }

    @Test
    void anUnwritableCacheIsNotAnError() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        CubinCache cache = new CubinCache(file.resolve("cubin"));
        cache.store("k", new KernelCompiler.Image(new byte[] {1}, false));
        assertTrue(cache.load("k").isEmpty());
    }
}
