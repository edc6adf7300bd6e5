package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.cpu.CpuStorage;
import org.racro4j.core.io.Safetensors;

/**
 * Half-precision weights mapped from a safetensors file (read in place, never copied to the heap) give every op a
 * frozen model runs on them the same bits as the same weights read into arrays: products on every path (decode dot
 * products, packed prefill, row-major and transposed B), embedding lookups, copies and conversions, elementwise ops.
 * A mapped weight is read-only. A placeholder costs no allocation until it is read, and then reads as zeros. In the
 * core package, so it runs with the Vector API and without it.
 */
@ExtendWith(ScopePerTest.class)
class MappedWeightsTest {
    @TempDir
    Path tmp;

    private static Tensor random(Random r, DType dtype, int... shape) {
        float[] x = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < x.length; i++) x[i] = (r.nextBoolean() ? 1 : -1) * (0.25f + r.nextFloat());
        return Tensor.of(x, shape).to(dtype);
    }

    /** The tensors of a file, each in a placeholder that then maps the file's bits. */
    private static Map<String, Tensor> mapped(Path file) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (Safetensors.Reader r = Safetensors.open(file)) {
            for (String name : r.names()) {
                Safetensors.Entry e = r.entry(name);
                Tensor t = Scope.escape(Tensor.placeholder(e.dtype(), Device.CPU, e.shape()));
                ((CpuStorage) t.storage()).map(r.mapBits(name));
                out.put(name, t);
            }
        }
        return out;
    }

    @Test
    void mappedWeightsGiveEveryOpTheBitsOfTheSameWeightsInArrays() throws IOException {
        Random r = new Random(17);
        Map<String, Tensor> w = new LinkedHashMap<>();
        w.put("bf16", random(r, DType.BF16, 96, 130));    // x W^T: decode rows and prefill panels
        w.put("f16", random(r, DType.F16, 37, 67));
        w.put("rowmajor", random(r, DType.BF16, 67, 45)); // x B, B stored [K, N]
        w.put("norm", random(r, DType.BF16, 130));
        w.put("embed", random(r, DType.BF16, 53, 24));
        Path file = tmp.resolve("w.safetensors");
        Safetensors.write(file, w, Map.of());
        Map<String, Tensor> heap = Safetensors.read(file);
        Map<String, Tensor> map = mapped(file);
        try {
            for (Tensor t : map.values()) assertTrue(((CpuStorage) t.storage()).isMapped());
            for (int m : new int[] {1, 3, 8, 67}) {
                Tensor x = random(r, DType.F32, m, 130);
                Tensor xb = x.to(DType.BF16);
                assertArrayEquals(xb.matmul(heap.get("bf16").t()).toFloatArray(), xb.matmul(map.get("bf16").t()).toFloatArray(), 0f, "bf16 m=" + m);
                Tensor x67 = random(r, DType.F32, m, 67);
                Tensor xh = x67.to(DType.F16);
                assertArrayEquals(xh.matmul(heap.get("f16").t()).toFloatArray(), xh.matmul(map.get("f16").t()).toFloatArray(), 0f, "f16 m=" + m);
                Tensor x67b = x67.to(DType.BF16);
                assertArrayEquals(x67b.matmul(heap.get("rowmajor")).toFloatArray(), x67b.matmul(map.get("rowmajor")).toFloatArray(), 0f,
                        "row-major m=" + m);
                assertArrayEquals(x.mul(heap.get("norm").to(DType.F32)).toFloatArray(), x.mul(map.get("norm").to(DType.F32)).toFloatArray(), 0f);
                assertArrayEquals(xb.mul(heap.get("norm")).toFloatArray(), xb.mul(map.get("norm")).toFloatArray(), 0f);
            }
            Tensor ids = Tensor.ofLongs(new long[] {0, 52, 7, 7, 31}, 5);
            assertArrayEquals(heap.get("embed").embedding(ids).toFloatArray(), map.get("embed").embedding(ids).toFloatArray(), 0f);
            assertArrayEquals(heap.get("embed").indexSelect(0, ids).toFloatArray(), map.get("embed").indexSelect(0, ids).toFloatArray(), 0f);
            for (String name : w.keySet()) {
                assertArrayEquals(heap.get(name).toFloatArray(), map.get(name).toFloatArray(), 0f, name);
                assertArrayEquals(heap.get(name).to(DType.F32).toFloatArray(), map.get(name).to(DType.F32).toFloatArray(), 0f, name);
            }
            assertArrayEquals(heap.get("bf16").t().contiguous().toFloatArray(), map.get("bf16").t().contiguous().toFloatArray(), 0f);
            assertArrayEquals(w.get("bf16").toFloatArray(), map.get("bf16").toFloatArray(), 0f, "the file's values");

            // read-only: a write fails, and names why
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> map.get("norm").copyFrom(heap.get("norm")));
            assertTrue(e.getMessage().contains("read-only"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> map.get("norm").mulInPlace(2f));
        } finally {
            for (Tensor t : map.values()) t.close();
        }
    }

    @Test
    void aPlaceholderCostsNothingUntilReadThenReadsAsZeros() {
        Backend cpu = Device.CPU.backend();
        long before = cpu.memoryStats().allocations();
        Tensor unused = Tensor.placeholder(DType.BF16, Device.CPU, 300, 200);
        Tensor read = Tensor.placeholder(DType.F32, Device.CPU, 7, 9);
        assertEquals(before, cpu.memoryStats().allocations(), "a placeholder takes no array when made");
        assertFalse(((CpuStorage) unused.storage()).isMapped());
        // its array is taken when first read (from the pool, whose arrays tests poison with NaN, or new), and zeroed
        float[] zeros = read.toFloatArray();
        assertArrayEquals(new float[63], zeros, 0f);
        read.add(Tensor.ones(7, 9));   // then an ordinary storage
        unused.close();                // never used: nothing to give back
        read.close();
    }
}
