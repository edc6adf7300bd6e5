package org.racro4j.tools;

import org.racro4j.core.Tensor;

/** The API example shown in README.md; ReadmeTest keeps the two identical and checks the result. */
final class ReadmeExample {
    private ReadmeExample() {}

    static float[] run() {
        // README-BEGIN
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor w = Tensor.of(new float[] {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f}, 3, 2).requiresGrad(true);
        Tensor loss = x.matmul(w).tanh().sum();
        loss.backward();
        float[] dLossDw = w.grad().toFloatArray();   // 3x2 gradient, row-major
        // README-END
        return dLossDw;
    }
}
