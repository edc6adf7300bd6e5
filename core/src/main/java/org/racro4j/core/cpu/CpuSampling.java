package org.racro4j.core.cpu;

import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Philox;

/** Greedy / temperature / top-k / top-p sampling of one token per row, as specified in Backend.sampleTokens. */
final class CpuSampling {
    /** A row's probabilities, reused by each thread row after row (see {@link ProbabilityOrder}). */
    private static final ThreadLocal<double[]> PROBABILITIES = ThreadLocal.withInitial(() -> new double[0]);

    private CpuSampling() {}

    static void sample(Tensor logits, float temperature, int topK, float topP, long seed, long offset, Tensor out) {
        checkLogits(logits);
        float[] uniforms = new float[logits.size(0)];
        Philox.fill(uniforms, 0, seed, offset, false, 0f, 1f, 0, uniforms.length);
        pickRows(logits, temperature, topK, topP, uniforms, out);
    }

    /** Row b's uniform from its own stream position: word 0 of block offsets[b]. */
    static void sample(Tensor logits, float temperature, int topK, float topP, long seed, long[] offsets, Tensor out) {
        checkLogits(logits);
        int rows = logits.size(0);
        if (offsets.length != rows) {
            throw new IllegalArgumentException("sampleTokens: " + offsets.length + " offsets for " + rows + " rows of logits");
        }
        float[] uniforms = new float[rows];
        for (int r = 0; r < rows; r++) Philox.fill(uniforms, r, seed, offsets[r], false, 0f, 1f, 0, 1);
        pickRows(logits, temperature, topK, topP, uniforms, out);
    }

    private static void checkLogits(Tensor logits) {
        if (logits.dim() != 2 || !logits.isContiguous()) {
            throw new IllegalArgumentException("sampleTokens: logits must be a contiguous [B, V] tensor, got " + Shapes.str(logits.shape()));
        }
    }

    private static void pickRows(Tensor logits, float temperature, int topK, float topP, float[] uniforms, Tensor out) {
        int rows = logits.size(0);
        int v = logits.size(1);
        float[] ls = Floats.read(logits);
        CpuStorage os = Floats.storage(out);
        Parallel.range(rows, 1, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int base = logits.offset() + r * v;
                os.setLong(out.offset() + r * out.stride(0), pick(ls, base, v, temperature, topK, topP, uniforms[r]));
            }
        });
    }

    static int pick(float[] ls, int base, int v, float temperature, int topK, float topP, float u) {
        int best = argmax(ls, base, v);
        if (temperature <= 0f) return best;
        double[] p = PROBABILITIES.get();
        if (p.length != v) {
            p = new double[v];
            PROBABILITIES.set(p);
        }
        if ((topK <= 0 || topK >= v) && !(topP < 1f)) {   // every token kept: the walk without sorting, where it can tell
            scaledDifferences(ls, base, v, ls[base + best], temperature, p);
            int token = BucketedWalk.forThread().pick(ls, base, v, BucketedWalk.min(ls, base, v), ls[base + best], p, u);
            if (token >= 0) return token;
        }
        probabilities(ls, base, v, ls[base + best], temperature, p);
        return sortedWalk(ls, base, v, p, topK, topP, u);
    }

    /**
     * The walk over the row's probabilities p in sampling order (ProbabilityOrder), top-k and top-p applied: the first
     * token at which the running sum passes u times the kept mass.
     */
    static int sortedWalk(float[] ls, int base, int v, double[] p, int topK, float topP, float u) {
        ProbabilityOrder sort = ProbabilityOrder.forThread();
        int[] order = sort.of(ls, base, p);
        double[] sorted = sort.sortedProbabilities();   // p[order[i]], read in order
        int keep = topK > 0 ? Math.min(topK, v) : v;
        if (topP < 1f) {
            // Top-p is measured on the top-k distribution renormalised, as Hugging Face and vLLM apply them.
            double topKMass = 0;
            for (int i = 0; i < keep; i++) topKMass += sorted[i];
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += sorted[i];
                if (mass >= topP * topKMass) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) kept += sorted[i];
        double target = u * kept;
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += sorted[i];
            if (acc > target) return order[i];
        }
        return order[keep - 1];
    }

    /** The first index of the row's largest logit ({@code >}: NaNs are stepped over, -0 and +0 tie). */
    static int argmax(float[] ls, int base, int v) {
        int best = VectorApi.ENABLED ? LaneSampling.firstMax(ls, base, v) : -1;
        if (best >= 0) return best;
        best = 0;
        for (int j = 1; j < v; j++) if (ls[base + j] > ls[base + best]) best = j;
        return best;
    }

    /** The softmax of the row at a temperature, in double: exp((l - max) / T), normalised. */
    static double[] probabilities(float[] ls, int base, int v, double max, float temperature) {
        double[] p = new double[v];
        probabilities(ls, base, v, max, temperature, p);
        return p;
    }

    /** {@link #probabilities} into p[0 .. v-1]. */
    static void probabilities(float[] ls, int base, int v, double max, float temperature, double[] p) {
        scaledDifferences(ls, base, v, max, temperature, p);
        double sum = 0;
        for (int j = 0; j < v; j++) {
            p[j] = Math.exp(p[j]);
            sum += p[j];
        }
        if (VectorApi.ENABLED) {   // divisions in lanes are rounded as in a scalar register
            LaneSampling.divide(p, v, sum);
        } else {
            for (int j = 0; j < v; j++) p[j] /= sum;
        }
    }

    /** d[j] = (l[base + j] - max) / temperature in double, the exponent of token j's probability. */
    static void scaledDifferences(float[] ls, int base, int v, double max, float temperature, double[] d) {
        if (VectorApi.ENABLED) {   // subtractions and divisions in lanes are rounded as in a scalar register
            LaneSampling.scaledDifferences(ls, base, v, max, temperature, d);
            return;
        }
        for (int j = 0; j < v; j++) d[j] = (ls[base + j] - max) / temperature;
    }
}
