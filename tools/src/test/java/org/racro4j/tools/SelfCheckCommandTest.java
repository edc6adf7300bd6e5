package org.racro4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import org.racro4j.core.cpu.Parallel;

/**
 * `racro4j selfcheck` run in full (the speed measurement skipped with --bench-size 0): the test reads every number the
 * command prints and applies the bounds itself, rather than trusting the command's PASS, so a check that passes what
 * it should not, or prints numbers other than its verdict's, fails here too.
 */
class SelfCheckCommandTest {
    private static final Pattern NUMBER = Pattern.compile("[-+]?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?");

    /** The numbers in a line, in order. */
    private static List<Double> numbers(String text) {
        List<Double> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) out.add(Double.parseDouble(m.group()));
        return out;
    }

    /** The number that follows {@code label} in {@code line}. */
    private static double after(String line, String label) {
        int at = line.indexOf(label);
        assertTrue(at >= 0, "'" + label + "' in: " + line);
        Matcher m = NUMBER.matcher(line.substring(at + label.length()));
        assertTrue(m.find(), "a number after '" + label + "' in: " + line);
        return Double.parseDouble(m.group());
    }

    @Test
    void everyCheckPassesWithinBoundsTheTestAppliesToThePrintedNumbers() {
        CommandLineTest.Run r = CommandLineTest.run("selfcheck", "--bench-size", "0");
        List<String> lines = r.out().strip().lines().toList();

        String header = lines.get(0);
        assertTrue(header.startsWith("racro4j self-check on cpu: "), header);
        assertEquals(Parallel.threads(), (int) after(header, "cpu: "), "threads: " + header);
        assertEquals(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), (int) after(header, "Vector API "), header);

        // one verdict line per check, in this order, and nothing else but the closing line
        Map<String, String> checks = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size() - 1)) {
            assertTrue(line.startsWith("[PASS] "), "a passed check: " + line);
            String[] parts = line.substring(7).strip().split("\\s+", 2);
            checks.put(parts[0], parts[1]);
        }
        assertEquals(List.of("matmul", "rows", "attention", "gradients", "training", "memory"), new ArrayList<>(checks.keySet()), r.out());
        assertEquals("all checks passed", lines.get(lines.size() - 1));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertFalse(r.out().contains("[INFO]"), "--bench-size 0 skips the speed line: " + r.out());

        // the errors against float64 references: a float32 kernel is within 1e-5 of the largest value
        assertTrue(after(checks.get("matmul"), "max error") < 1e-5, checks.get("matmul"));
        assertTrue(after(checks.get("rows"), "softmax") < 1e-5, checks.get("rows"));
        assertTrue(after(checks.get("rows"), "layerNorm") < 1e-5, checks.get("rows"));
        assertTrue(after(checks.get("attention"), "float64:") < 1e-5, checks.get("attention"));
        // central differences with step 1e-2 in float32: agreement to about 1e-2
        assertTrue(after(checks.get("gradients"), "max error") < 1e-2, checks.get("gradients"));

        // training: two balanced classes start near ln 2 (an untrained classifier), fall to under a quarter of that
        // and then separate the spirals
        String training = checks.get("training");
        List<Double> loss = numbers(training.substring(training.indexOf("loss")));
        double first = loss.get(0);
        double last = loss.get(1);
        double accuracy = after(training, "accuracy");
        assertEquals(Math.log(2), first, 0.15, training);
        assertTrue(last < first / 4, training);
        assertTrue(accuracy > 95 && accuracy <= 100, training);
        assertTrue(training.contains("400 AdamW steps"), training);

        assertTrue(checks.get("memory").endsWith("(0 B left)"), checks.get("memory"));
    }
}
