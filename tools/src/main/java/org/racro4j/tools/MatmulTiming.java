package org.racro4j.tools;

import java.util.Arrays;

import org.racro4j.core.Autograd;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/** Median GFLOP/s of an n×n×n F32 matmul after warm-up, with inputs rotated so caches don't flatter it. */
final class MatmulTiming {
    private MatmulTiming() {}

    static double gflops(int n) {
        Generator g = new Generator(42);
        int pairs = 3;
        Tensor[] a = new Tensor[pairs];
        Tensor[] b = new Tensor[pairs];
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            for (int i = 0; i < pairs; i++) {
                a[i] = Tensor.randn(g, n, n);
                b[i] = Tensor.randn(g, n, n);
            }
            for (int i = 0; i < 3; i++) a[i % pairs].matmul(b[i % pairs]).close();
            int iters = Math.max(5, (int) Math.min(50, 2e10 / (2.0 * n * n * n)));
            double[] secs = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                Tensor c = a[i % pairs].matmul(b[i % pairs]);
                secs[i] = (System.nanoTime() - t0) / 1e9;
                c.close();
            }
            Arrays.sort(secs);
            return 2.0 * n * n * n / secs[iters / 2] / 1e9;
        }
    }
}
