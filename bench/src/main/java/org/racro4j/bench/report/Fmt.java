package org.racro4j.bench.report;

import java.util.Locale;

/** Number formatting for the report: enough digits to compare, no more; absent values as a dash. */
final class Fmt {
    static final String NONE = "—";

    private Fmt() {}

    static String num(Double x) {
        if (x == null || x.isNaN()) return NONE;
        double a = Math.abs(x);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", x);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", x);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", x);
        return String.format(Locale.ROOT, "%.3g", x);
    }

    static String ratio(Double r) {
        return r == null || r.isNaN() ? NONE : String.format(Locale.ROOT, "%.2f", r);
    }

    static String mib(Double bytes) {
        return bytes == null ? NONE : String.format(Locale.ROOT, "%.1f", bytes / (1 << 20));
    }

    /** Markdown table cell: pipes escaped, absent as a dash. */
    static String cell(String s) {
        return s == null || s.isEmpty() ? NONE : s.replace("|", "\\|");
    }
}
