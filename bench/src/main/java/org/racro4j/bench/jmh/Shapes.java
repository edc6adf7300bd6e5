package org.racro4j.bench.jmh;

/** Parses the "AxBxC" shape strings the JMH suites take as {@code @Param}s (JMH params are strings). */
final class Shapes {
    private Shapes() {}

    static int[] parse(String shape, int dims) {
        String[] f = shape.split("x");
        if (f.length != dims) throw new IllegalArgumentException("expected " + dims + " sizes separated by 'x', got " + shape);
        int[] out = new int[dims];
        for (int i = 0; i < dims; i++) out[i] = Integer.parseInt(f[i]);
        return out;
    }
}
