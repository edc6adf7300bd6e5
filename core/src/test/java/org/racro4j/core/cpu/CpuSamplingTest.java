package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.ScopePerTest;
import org.racro4j.core.Tensor;
import org.racro4j.core.TestSupport;
import org.racro4j.core.random.Philox;

/** Backend.sampleTokens on the CPU: greedy cases, exact agreement with a float64 sampler, and its distribution. */
@ExtendWith(ScopePerTest.class)
class CpuSamplingTest {
    private static final CpuBackend CPU = CpuBackend.INSTANCE;
    private static long[] sample(float[] logits, int rows, int v, float temperature, int topK, float topP, long seed, long offset) {
        Tensor out = Tensor.empty(DType.I64, Device.CPU, rows);
        CPU.sampleTokens(Tensor.of(logits, rows, v), temperature, topK, topP, seed, offset, out);
        return out.toLongArray();
    }

    private static int argmax(float[] l, int row, int v) {
        int best = 0;
        for (int j = 1; j < v; j++) if (l[row * v + j] > l[row * v + best]) best = j;
        return best;
    }

    /** Row b's uniform, as Backend.sampleTokens specifies: word b mod 4 of block offset + b/4. */
    private static double uniformOfRow(long seed, long offset, int b) {
        int[] w = new int[4];
        long ctr = offset + b / 4;
        Philox.block((int) ctr, (int) (ctr >>> 32), 0, 0, (int) seed, (int) (seed >>> 32), w);
        return Philox.uniform(w[b % 4]);
    }

    /** The kept, renormalised distribution of one row, in double. */
    private static double[] keptDistribution(float[] logits, int row, int v, double temperature, int topK, double topP) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < v; j++) max = Math.max(max, logits[row * v + j]);
        double[] p = new double[v];
        double z = 0;
        for (int j = 0; j < v; j++) {
            p[j] = Math.exp((logits[row * v + j] - max) / temperature);
            z += p[j];
        }
        for (int j = 0; j < v; j++) p[j] /= z;
        Integer[] order = new Integer[v];
        for (int j = 0; j < v; j++) order[j] = j;
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = topK > 0 ? Math.min(topK, v) : v;
        if (topP < 1) {
            double topKMass = 0;
            for (int i = 0; i < keep; i++) topKMass += p[order[i]];
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += p[order[i]] / topKMass;
                if (mass >= topP) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double[] q = new double[v];
        double kept = 0;
        for (int i = 0; i < keep; i++) kept += p[order[i]];
        for (int i = 0; i < keep; i++) q[order[i]] = p[order[i]] / kept;
        return q;
    }

    /** Inverse-CDF draw over the kept tokens in descending-probability order. */
    private static int drawReference(double[] q, double u) {
        Integer[] order = new Integer[q.length];
        for (int j = 0; j < q.length; j++) order[j] = j;
        Arrays.sort(order, (a, b) -> q[a] != q[b] ? Double.compare(q[b], q[a]) : Integer.compare(a, b));
        double acc = 0;
        int last = -1;
        for (int j : order) {
            if (q[j] == 0) break;
            acc += q[j];
            last = j;
            if (acc > u) return j;
        }
        return last;
    }

    @Test
    void temperatureZeroTopKOneAndTinyTopPAreArgmax() {
        int rows = 13;
        int v = 17;
        float[] l = TestSupport.normal(1, rows * v);
        for (int i = 0; i < l.length; i++) l[i] *= 0.3f; // a flat distribution: sampling would rarely hit the argmax
        long[] expected = new long[rows];
        for (int r = 0; r < rows; r++) expected[r] = argmax(l, r, v);
        for (long seed = 0; seed < 5; seed++) {
            assertArrayEquals(expected, sample(l, rows, v, 0f, 0, 1f, seed, 0), "temperature 0");
            assertArrayEquals(expected, sample(l, rows, v, 1f, 1, 1f, seed, 3), "top-k 1");
            assertArrayEquals(expected, sample(l, rows, v, 1.5f, 0, 1e-6f, seed, 7), "top-p tiny");
        }
    }

    @Test
    void greedyTiesGoToTheFirstMaximum() {
        float[] l = {0.5f, 2f, -1f, 2f, 2f};
        assertArrayEquals(new long[] {1}, sample(l, 1, 5, 0f, 0, 1f, 1, 0));
        assertArrayEquals(new long[] {1}, sample(l, 1, 5, 1f, 1, 1f, 1, 0));
        assertArrayEquals(new long[] {1}, sample(l, 1, 5, 1f, 0, 1e-6f, 1, 0));
    }

    @Test
    void tokensEqualAFloat64SamplerDrivenByTheSamePhiloxUniforms() {
        int rows = 64;
        int v = 23;
        float[] l = TestSupport.normal(2, rows * v);
        for (int i = 0; i < l.length; i++) l[i] *= 2;
        float[][] settings = {{1f, 0, 1f}, {0.7f, 5, 1f}, {1.3f, 0, 0.8f}, {0.9f, 8, 0.6f}, {2f, 30, 0.95f}};
        for (float[] st : settings) {
            long seed = 1234;
            long offset = 5;
            long[] got = sample(l, rows, v, st[0], (int) st[1], st[2], seed, offset);
            for (int r = 0; r < rows; r++) {
                double[] q = keptDistribution(l, r, v, st[0], (int) st[1], st[2]);
                assertEquals(drawReference(q, uniformOfRow(seed, offset, r)), got[r],
                        "row " + r + " with temperature " + st[0] + ", topK " + st[1] + ", topP " + st[2]);
            }
        }
    }

    /**
     * One stream position per row: row b draws word 0 of block offsets[b] (against the float64 sampler), the same as
     * sampling that row alone at that offset; rows far apart in the stream, in any order, and a wrong count refused.
     */
    @Test
    void perRowOffsetsDrawEachRowFromItsOwnBlock() {
        int rows = 37;
        int v = 29;
        float[] l = TestSupport.normal(4, rows * v);
        for (int i = 0; i < l.length; i++) l[i] *= 2;
        long seed = 99;
        long[] offsets = new long[rows];
        for (int r = 0; r < rows; r++) offsets[r] = ((long) (rows - r) << 32) | (3L * r + 1);
        for (float[] st : new float[][] {{1f, 0, 1f}, {0.8f, 6, 0.9f}}) {
            Tensor out = Tensor.empty(DType.I64, Device.CPU, rows);
            CPU.sampleTokens(Tensor.of(l, rows, v), st[0], (int) st[1], st[2], seed, offsets, out);
            long[] got = out.toLongArray();
            for (int r = 0; r < rows; r++) {
                double[] q = keptDistribution(l, r, v, st[0], (int) st[1], st[2]);
                assertEquals(drawReference(q, uniformOfRow(seed, offsets[r], 0)), got[r], "row " + r);
                float[] row = Arrays.copyOfRange(l, r * v, (r + 1) * v);
                assertEquals(sample(row, 1, v, st[0], (int) st[1], st[2], seed, offsets[r])[0], got[r], "row " + r + " alone");
            }
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CPU.sampleTokens(Tensor.of(l, rows, v), 1f, 0, 1f, seed, new long[rows - 1], Tensor.empty(DType.I64, Device.CPU, rows)));
        assertTrue(e.getMessage().contains("36 offsets for 37 rows"), e.getMessage());
    }

    /** Pearson chi-square of observed counts against probabilities q (categories with q > 0 only). */
    private static double chiSquare(long[] counts, double[] q, long n) {
        double chi = 0;
        for (int j = 0; j < q.length; j++) {
            if (q[j] == 0) {
                assertEquals(0, counts[j], "token " + j + " is outside the kept set but was drawn");
                continue;
            }
            double e = q[j] * n;
            chi += (counts[j] - e) * (counts[j] - e) / e;
        }
        return chi;
    }

    private static void frequenciesMatch(float temperature, int topK, float topP) {
        int v = 8;
        float[] row = {1.2f, -0.3f, 0.4f, 2.0f, 0.4f, -1.5f, 0.9f, 0.0f};
        int rows = 5000;
        float[] l = new float[rows * v];
        for (int r = 0; r < rows; r++) System.arraycopy(row, 0, l, r * v, v);
        double[] q = keptDistribution(row, 0, v, temperature, topK, topP);
        long[] counts = new long[v];
        long n = 0;
        for (long seed = 100; seed < 104; seed++) { // 4 seeds x 5000 rows
            for (long t : sample(l, rows, v, temperature, topK, topP, seed, 0)) counts[(int) t]++;
            n += rows;
        }
        int df = -1;
        for (double x : q) if (x > 0) df++;
        double chi = chiSquare(counts, q, n);
        // For df <= 7, P(chi2 > 30) < 1e-4; a wrong temperature, a missing renormalisation or an off-by-one in the
        // kept set gives values in the hundreds with n = 20000.
        assertTrue(chi < 30, "chi-square " + chi + " with " + df + " degrees of freedom: counts " + Arrays.toString(counts)
                + " vs probabilities " + Arrays.toString(q));
    }

    @Test
    void frequenciesMatchTheTemperatureSoftmax() {
        frequenciesMatch(1f, 0, 1f);
        frequenciesMatch(0.6f, 0, 1f);
        frequenciesMatch(2.5f, 0, 1f);
    }

    @Test
    void frequenciesMatchTheRenormalisedTopK() {
        frequenciesMatch(1f, 3, 1f);
        frequenciesMatch(1.5f, 5, 1f);
    }

    @Test
    void frequenciesMatchTheRenormalisedTopP() {
        frequenciesMatch(1f, 0, 0.7f);
        frequenciesMatch(0.8f, 0, 0.9f);
        frequenciesMatch(1f, 6, 0.8f);
    }

    @Test
    void sameSeedAndOffsetGiveTheSameTokensAndOthersDoNot() {
        int rows = 200;
        int v = 11;
        float[] l = TestSupport.normal(3, rows * v);
        long[] a = sample(l, rows, v, 1f, 0, 1f, 42, 9);
        long[] b = sample(l, rows, v, 1f, 0, 1f, 42, 9);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, sample(l, rows, v, 1f, 0, 1f, 43, 9)), "another seed");
        assertFalse(Arrays.equals(a, sample(l, rows, v, 1f, 0, 1f, 42, 10)), "another offset");
    }

    @Test
    void halfPrecisionLogitsSampleLikeTheirF32Values() {
        int rows = 40;
        int v = 9;
        float[] l = TestSupport.normal(4, rows * v);
        Tensor bf = Tensor.of(l, rows, v).to(DType.BF16);
        Tensor out = Tensor.empty(DType.I64, Device.CPU, rows);
        CPU.sampleTokens(bf, 1f, 4, 0.9f, 5, 0, out);
        assertArrayEquals(sample(bf.to(DType.F32).toFloatArray(), rows, v, 1f, 4, 0.9f, 5, 0), out.toLongArray());
    }

    /**
     * p = (0.4, 0.3, 0.2, 0.1), top-k 2, top-p 0.5: renormalised over the top 2 the first token already holds
     * 0.4 / 0.7 = 0.571 >= 0.5, so only it is kept (HF order); measured on the full softmax it would need two.
     */
    @Test
    void topPIsMeasuredOnTheTopKDistribution() {
        float[] logits = {(float) Math.log(0.4), (float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.1)};
        for (long seed = 0; seed < 50; seed++) {
            assertArrayEquals(new long[] {0}, sample(logits, 1, 4, 1f, 2, 0.5f, seed, 0), "seed " + seed);
        }
        boolean sawSecond = false;
        for (long seed = 0; seed < 50 && !sawSecond; seed++) sawSecond = sample(logits, 1, 4, 1f, 2, 0.6f, seed, 0)[0] == 1;
        org.junit.jupiter.api.Assertions.assertTrue(sawSecond, "with top-p 0.6 the second token is kept (0.571 < 0.6)");
    }
}
