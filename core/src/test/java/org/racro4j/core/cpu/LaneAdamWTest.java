package org.racro4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The vector AdamW update gives the scalar loop's bits: moments and parameters, odd lengths, offsets, tails. */
class LaneAdamWTest {
    @Test
    void theVectorUpdateEqualsTheScalarLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {1, 7, 16, 33, 1000, 4099}) {
            for (int step : new int[] {1, 2, 50}) {
                double bc1 = 1 - Math.pow(0.9, step), bc2 = 1 - Math.pow(0.999, step);
                CpuAdamW.Constants c = new CpuAdamW.Constants(0.9f, 0.999f, 1e-8f, (float) (3e-3 / bc1), (float) (1 / Math.sqrt(bc2)),
                        1f - 3e-3f * 0.01f);
                int off = 3;   // every array starts 3 elements in, as views of a larger storage do
                float[] p = random(r, n + off, 1), g = random(r, n + off, 0.1), m = random(r, n + off, 0.01), v = abs(random(r, n + off, 1e-4));
                float[] pScalar = p.clone(), mScalar = m.clone(), vScalar = v.clone();
                float[] pVector = p.clone(), mVector = m.clone(), vVector = v.clone();
                CpuAdamW.updateScalar(p, pScalar, off, g, off, mScalar, off, vScalar, off, 0, n, c);
                LaneAdamW.update(p, pVector, off, g, off, mVector, off, vVector, off, 0, n, c);
                assertArrayEquals(mScalar, mVector, "m, n " + n + ", step " + step);
                assertArrayEquals(vScalar, vVector, "v, n " + n + ", step " + step);
                assertArrayEquals(pScalar, pVector, "p, n " + n + ", step " + step);
            }
        }
    }

    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static float[] abs(float[] a) {
        for (int i = 0; i < a.length; i++) a[i] = Math.abs(a[i]);
        return a;
    }
}
