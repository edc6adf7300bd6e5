package org.racro4j.models.decoder;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/**
 * cos and sin of the rotary angles pos * theta^(-2i/d) for i &lt; d/2 ("rotate half" RoPE as in Llama and
 * Qwen2), computed in double once for every position up to a capacity and sliced per forward.
 *
 * <p>Shared by every thread that runs the model, so growing the tables and slicing them hold the lock: a slice is a
 * view that keeps its storage alive, so replacing the tables never frees one a thread is still reading.
 */
public final class RopeTables implements AutoCloseable {
    private final int headDim;
    private final double theta;
    private final Device device;
    private Tensor cos;
    private Tensor sin;
    private int capacity;

    public RopeTables(int headDim, double theta, Device device) {
        this.headDim = headDim;
        this.theta = theta;
        this.device = device;
    }

    /** cos for positions [start, start + length): [length, headDim / 2]. */
    public synchronized Tensor cos(int start, int length) {
        ensure(start + length);
        return cos.narrow(0, start, length);
    }

    public synchronized Tensor sin(int start, int length) {
        ensure(start + length);
        return sin.narrow(0, start, length);
    }

    /**
     * cos rows of the positions in {@code positions} (I64 [n], on the device, as a decode step's position that a
     * captured graph reads): [n, headDim / 2]. The table must already cover them ({@link #reserve}).
     */
    public synchronized Tensor cosAt(Tensor positions) {
        return cos.indexSelect(0, positions);
    }

    public synchronized Tensor sinAt(Tensor positions) {
        return sin.indexSelect(0, positions);
    }

    /** Makes the tables cover positions [0, positions). */
    public synchronized void reserve(int positions) {
        ensure(positions);
    }

    private synchronized void ensure(int positions) {
        if (positions <= capacity) return;
        int cap = Math.max(positions, Math.max(64, capacity * 2));
        int half = headDim / 2;
        float[] c = new float[cap * half];
        float[] s = new float[cap * half];
        for (int i = 0; i < half; i++) {
            double invFreq = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            for (int p = 0; p < cap; p++) {
                double angle = p * invFreq;
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        }
        close();
        cos = Scope.unscoped(() -> Tensor.of(c, cap, half).to(device).to(DType.F32));
        sin = Scope.unscoped(() -> Tensor.of(s, cap, half).to(device).to(DType.F32));
        capacity = cap;
    }

    @Override
    public synchronized void close() {
        if (cos != null) {
            cos.close();
            sin.close();
            cos = null;
            sin = null;
            capacity = 0;
        }
    }
}
