package org.racro4j.core.cpu;

import org.racro4j.core.Autograd;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.TestSupport;

/**
 * Run in a child JVM by {@link VectorApiModesTest}, with or without the Vector API flag: prints whether the API is on,
 * then one line per kernel family with the float bits of its result on fixed inputs (each family several times, so
 * a warning that is not printed once per JVM would show).
 */
public final class VectorApiProbe {
    static final int M = 37;
    static final int K = 70;
    static final int N = 45;

    private VectorApiProbe() {}

    public static void main(String[] args) {
        System.out.println("enabled " + VectorApi.ENABLED);
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (int round = 0; round < 2; round++) {
                Tensor a = Tensor.of(TestSupport.normal(1, M * K), M, K);
                Tensor b = Tensor.of(TestSupport.normal(2, K * N), K, N);
                Tensor bt = Tensor.of(TestSupport.normal(2, K * N), N, K);
                Tensor x = Tensor.of(TestSupport.normal(3, 5 * 77), 5, 77);
                print("matmul", a.matmul(b));
                print("matmulTransposed", a.matmul(bt.t()));
                print("exp", x.exp());
                print("silu", x.silu());
                print("sigmoid", x.sigmoid());
                print("add", x.add(x.mul(0.5f)));
                print("sum", x.sum(1, false));
                print("softmax", x.softmax(-1));
                print("rmsNorm", Functional.rmsNorm(x, Tensor.ones(77), 1e-5f));
            }
        }
    }

    private static void print(String name, Tensor t) {
        StringBuilder sb = new StringBuilder(name);
        for (float v : t.toFloatArray()) sb.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(v)));
        System.out.println(sb);
    }
}
