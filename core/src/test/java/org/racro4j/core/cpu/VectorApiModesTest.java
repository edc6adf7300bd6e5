package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.TestSupport;

/**
 * The engine with and without {@code --add-modules jdk.incubator.vector}: two child JVMs run {@link VectorApiProbe}.
 * Without the flag it must still work, say so in exactly one line on standard error, and compute what the vector
 * kernels compute (the same bits where the kernels promise them, within rounding of the summation order elsewhere);
 * with the flag it must use the vector kernels and print nothing. The build also runs the whole core suite without
 * the flag (the surefire execution "without-vector-api" in core/pom.xml).
 */
class VectorApiModesTest {
    record Run(boolean enabled, Map<String, float[]> results, String stderr) {}

    static Run plain;
    static Run vector;

    @BeforeAll
    static void runBoth(@TempDir Path dir) throws Exception {
        plain = run(dir, false);
        vector = run(dir, true);
    }

    @Test
    void withoutTheFlagItSaysSoOnceAndRunsPlainLoops() {
        assertFalse(plain.enabled());
        assertEquals(1, count(plain.stderr(), VectorApi.WARNING), plain.stderr());
        assertTrue(VectorApi.WARNING.contains("--add-modules jdk.incubator.vector"));
    }

    @Test
    void withTheFlagItIsSilentAndUsesVectors() {
        assertTrue(vector.enabled());
        assertEquals(0, count(vector.stderr(), VectorApi.WARNING), vector.stderr());
        assertTrue(VectorApi.ENABLED, "this JVM (surefire's default execution) runs with the flag");
    }

    @Test
    void matmulMatchesAFloat64ReferenceInBothModes() {
        float[] a = TestSupport.normal(1, VectorApiProbe.M * VectorApiProbe.K);
        float[] b = TestSupport.normal(2, VectorApiProbe.K * VectorApiProbe.N);
        double[] ref = TestSupport.matmulRef(a, b, 1, VectorApiProbe.M, VectorApiProbe.K, VectorApiProbe.N);
        double[] refT = TestSupport.matmulRef(a, transpose(b, VectorApiProbe.N, VectorApiProbe.K), 1, VectorApiProbe.M,
                VectorApiProbe.K, VectorApiProbe.N);
        for (Run r : List.of(plain, vector)) {
            TestSupport.assertClose("matmul, vector API " + r.enabled(), ref, r.results().get("matmul"), 1e-4, 1e-5);
            TestSupport.assertClose("matmul of a transposed B, vector API " + r.enabled(), refT, r.results().get("matmulTransposed"),
                    1e-4, 1e-5);
        }
    }

    @Test
    void bothModesGiveTheSameResults() {
        // exp and the sigmoid family promise the scalar expression's bits in lanes; add and mul are exact per element
        for (String exact : List.of("exp", "silu", "sigmoid", "add")) {
            assertArrayEquals(vector.results().get(exact), plain.results().get(exact), exact);
        }
        for (String summed : List.of("sum", "softmax", "rmsNorm")) {
            TestSupport.assertClose(summed, vector.results().get(summed), plain.results().get(summed), 1e-6, 1e-6);
        }
    }

    private static Run run(Path dir, boolean flag) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (flag) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", classPath, VectorApiProbe.class.getName()));
        Path out = dir.resolve("out-" + flag);
        Path err = dir.resolve("err-" + flag);
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the probe JVM (flag " + flag + ") did not finish in 120 s");
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "the probe JVM (flag " + flag + ") failed:\n" + stderr);
        Map<String, float[]> results = new HashMap<>();
        Boolean enabled = null;
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ");
            if (f[0].equals("enabled")) {
                enabled = Boolean.parseBoolean(f[1]);
                continue;
            }
            float[] v = new float[f.length - 1];
            for (int i = 1; i < f.length; i++) v[i - 1] = Float.intBitsToFloat(Integer.parseUnsignedInt(f[i], 16));
            float[] first = results.putIfAbsent(f[0], v);
            if (first != null) assertArrayEquals(first, v, f[0] + " changed between two identical calls");
        }
        assertTrue(enabled != null && results.size() == 9, "unexpected probe output");
        return new Run(enabled, results, stderr);
    }

    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
        return t;
    }

    private static int count(String text, String line) {
        return (int) text.lines().filter(line::equals).count();
    }
}
