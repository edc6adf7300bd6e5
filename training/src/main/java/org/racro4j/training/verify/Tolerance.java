package org.racro4j.training.verify;

/**
 * Numeric equality within {@code |a − b| ≤ absolute + relative · max(|a|, |b|)}. The absolute part
 * matters near zero, the relative part for large values and rounded decimals (0.333 for 1/3 passes the
 * default, 0.33 does not).
 */
public record Tolerance(double relative, double absolute) {

    public static final Tolerance DEFAULT = new Tolerance(1e-3, 1e-6);
    public static final Tolerance EXACT = new Tolerance(0, 0);

    public Tolerance {
        if (!(relative >= 0) || !(absolute >= 0)) {
            throw new IllegalArgumentException("tolerances must be >= 0: " + relative + ", " + absolute);
        }
    }

    public boolean equal(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return false;
        }
        if (a == b) {
            return true;
        }
        return Math.abs(a - b) <= absolute + relative * Math.max(Math.abs(a), Math.abs(b));
    }
}
