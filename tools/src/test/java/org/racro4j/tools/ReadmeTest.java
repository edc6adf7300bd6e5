package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class ReadmeTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void readmeExampleIsTheCompiledExample() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String marker = "<!-- example: tools/src/test/java/org/racro4j/tools/ReadmeExample.java -->";
        int at = readme.indexOf(marker);
        assertTrue(at >= 0, "README names its example file");
        int start = readme.indexOf("```java\n", at) + "```java\n".length();
        int end = readme.indexOf("```", start);
        String shown = readme.substring(start, end).strip();

        List<String> lines = Files.readAllLines(ROOT.resolve("tools/src/test/java/org/racro4j/tools/ReadmeExample.java"));
        int b = lines.indexOf("        // README-BEGIN");
        int e = lines.indexOf("        // README-END");
        String compiled = lines.subList(b + 1, e).stream().map(l -> l.substring(8)).collect(Collectors.joining("\n")).strip();
        assertEquals(compiled, shown);
    }

    @Test
    void readmeExampleComputesTheGradientOfTanhMatmul() {
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] w = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
        // d/dw sum(tanh(x w)) = x^T (1 - tanh(x w)^2), in float64
        double[] want = new double[6];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double z = 0;
                for (int k = 0; k < 3; k++) z += x[i * 3 + k] * (double) w[k * 2 + j];
                double d = 1 - Math.tanh(z) * Math.tanh(z);
                for (int k = 0; k < 3; k++) want[k * 2 + j] += x[i * 3 + k] * d;
            }
        }
        float[] got = ReadmeExample.run();
        float[] wantF = new float[6];
        for (int i = 0; i < 6; i++) wantF[i] = (float) want[i];
        assertArrayEquals(wantF, got, 1e-5f);
    }

    @Test
    void quickStartHasExactlyTwoCommandsThatExist() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        int qs = readme.indexOf("## Quick start");
        int block = readme.indexOf("```\n", qs) + 4;
        String[] commands = readme.substring(block, readme.indexOf("```", block)).strip().split("\n");
        assertEquals(2, commands.length, "the quick start is two commands");
        assertTrue(commands[0].startsWith("tools/racro4j demo"), "the main job is the demo: " + commands[0]);
        assertTrue(commands[1].startsWith("mvn verify"), commands[1]);
        String sub = commands[0].split("\\s+")[1];
        assertTrue(Main.commandLine().getSubcommands().containsKey(sub), "the launcher command '" + sub + "' exists");
        String ci = Files.readString(ROOT.resolve(".ci/run"));
        assertTrue(ci.contains("mvn -B verify"), ".ci/run runs the README's test command");
    }
}
