package org.racro4j.kernels.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the benches' result lines (flat JSON objects: string, number, boolean and null values) and checks the
 * numbers printed in them against each other, with bounds derived from the rounding of each printed value.
 */
final class BenchLines {
    private BenchLines() {}

    /** Field name -> value as printed (strings without their quotes; JSON null as Java null). Fails on anything else. */
    static Map<String, String> parse(String line) {
        String s = line.strip();
        if (!s.startsWith("{") || !s.endsWith("}")) fail("not a JSON object: " + line);
        Map<String, String> out = new LinkedHashMap<>();
        int i = 1;
        int end = s.length() - 1;
        while (i < end) {
            if (s.charAt(i) != '"') fail("a field name should start at " + i + ": " + line);
            int nameEnd = s.indexOf('"', i + 1);
            String name = s.substring(i + 1, nameEnd);
            if (s.charAt(nameEnd + 1) != ':') fail("':' expected after \"" + name + "\": " + line);
            i = nameEnd + 2;
            String value;
            if (s.charAt(i) == '"') {
                int close = s.indexOf('"', i + 1);
                value = s.substring(i + 1, close);
                i = close + 1;
            } else {
                int next = s.indexOf(',', i);
                int stop = next < 0 ? end : next;
                String raw = s.substring(i, stop);
                if (!raw.matches("null|true|false|-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) fail("bad value " + raw + " of " + name + ": " + line);
                value = raw.equals("null") ? null : raw;
                i = stop;
            }
            if (out.containsKey(name)) fail("field " + name + " twice: " + line);
            out.put(name, value);
            if (i < end) {
                if (s.charAt(i) != ',') fail("',' expected at " + i + ": " + line);
                i++;
            }
        }
        return out;
    }

    static double num(Map<String, String> line, String field) {
        assertTrue(line.containsKey(field), "no field " + field + " in " + line);
        String v = line.get(field);
        assertNotNull(v, field + " is null in " + line);
        return Double.parseDouble(v);
    }

    /** Half a unit in the last digit of a value printed with this many decimals. */
    static double half(int decimals) {
        return 0.5 * Math.pow(10, -decimals);
    }

    /**
     * A rate printed from an exactly known amount of work and a printed median time: rate = work / (ms 1e-3) / unit
     * (unit 1e9 for GB/s, 1e12 for TFLOP/s). The true time lies within half a last digit of the printed ms
     * (msDecimals), so the true rate lies between work over the longest and over the shortest such time, and the
     * printed rate within half of its own last digit (rateDecimals) of it.
     */
    static void assertRate(String what, double work, double unit, Map<String, String> line, String rateField, int rateDecimals,
                           int msDecimals) {
        double ms = num(line, "median_ms");
        double rate = num(line, rateField);
        double hMs = half(msDecimals);
        assertTrue(ms > hMs, what + ": a median of " + ms + " ms is not a measured time: " + line);
        double lo = work / ((ms + hMs) * 1e-3) / unit - half(rateDecimals);
        double hi = work / ((ms - hMs) * 1e-3) / unit + half(rateDecimals);
        double slack = 1e-9 * hi;
        assertTrue(rate >= lo - slack && rate <= hi + slack,
                what + ": " + rateField + " " + rate + " is not " + work + " / " + ms + " ms (between " + lo + " and " + hi + "): " + line);
    }

    /**
     * A printed ratio (ratioDecimals) of two printed positive values a and b, each known within half of its last
     * digit: it lies between (a - ha) / (b + hb) and (a + ha) / (b - hb), give or take half its own last digit.
     */
    static void assertRatio(String what, double ratio, int ratioDecimals, double a, int aDecimals, double b, int bDecimals) {
        double ha = half(aDecimals);
        double hb = half(bDecimals);
        assertTrue(b > hb, what + ": denominator " + b + " too small to be a measured value");
        double lo = (a - ha) / (b + hb) - half(ratioDecimals);
        double hi = (a + ha) / (b - hb) + half(ratioDecimals);
        assertTrue(ratio >= lo - 1e-12 && ratio <= hi + 1e-12,
                what + ": ratio " + ratio + " is not " + a + " / " + b + " (between " + lo + " and " + hi + ")");
    }

    /** A line that reports a measurement, not a skip. */
    static void assertMeasured(String what, Map<String, String> line) {
        assertFalse(line.containsKey("skipped"), what + " was skipped: " + line);
    }
}
