package org.racro4j.models;

import java.util.HashMap;
import java.util.Map;

import org.racro4j.core.Tensor;

/** A state dict's weights copied to float64 (flattened row-major), for the loop-by-loop reference models. */
public final class Float64Weights {
    private final Map<String, double[]> weights = new HashMap<>();

    public Float64Weights(Map<String, Tensor> stateDict) {
        stateDict.forEach((k, t) -> {
            float[] f = t.toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            weights.put(k, d);
        });
    }

    /** The float64 copy of a weight; changing it changes what the reference computes. */
    public double[] get(String name) {
        double[] v = weights.get(name);
        if (v == null) throw new IllegalArgumentException("no weight " + name);
        return v;
    }

    /** The float64 copy of an optional weight (a bias), or null when the model has none. */
    public double[] orNull(String name) {
        return weights.get(name);
    }
}
