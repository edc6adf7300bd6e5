package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.racro4j.core.TestSupport.normal;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/** Device names, unavailable backends, and error messages that name the op, the shapes or the bad index. */
@ExtendWith(ScopePerTest.class)
class DeviceAndErrorsTest {
    // ------------------------------------------------------------------------------------------ devices

    @Test
    void deviceNamesParse() {
        assertSame(Device.CPU, Device.of("cpu"));
        assertSame(Device.CPU, Device.of("CPU"));
        assertSame(Device.CPU, Device.of(" cpu "));
        assertSame(Device.CPU, Device.of("cpu:0"));
        Device cuda = Device.of("cuda");
        assertEquals("cuda", cuda.kind());
        assertEquals(0, cuda.index());
        assertEquals("cuda:0", cuda.toString());
        assertEquals(cuda, Device.of("cuda:0"));
        assertEquals(cuda.hashCode(), Device.of("CUDA:0").hashCode());
        Device one = Device.of("cuda:1");
        assertEquals(1, one.index());
        assertNotEquals(cuda, one);
        assertFalse(one.isCpu());
        assertTrue(Device.CPU.isCpu());
        assertEquals("cpu", Device.CPU.toString());
    }

    @Test
    void badDeviceNamesAreRejectedWithTheExpectedForm() {
        for (String bad : new String[] {"", ":", ":0", "cuda:", "cuda:x", "cuda:-1", "cuda:1:2", "cuda:0x1"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.of(bad), "'" + bad + "'");
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        IllegalArgumentException cpu1 = assertThrows(IllegalArgumentException.class, () -> Device.of("cpu:1"));
        assertTrue(cpu1.getMessage().contains("one cpu device"), cpu1.getMessage());
        assertThrows(NullPointerException.class, () -> Device.of(null));
    }

    @Test
    void cudaWithoutTheKernelsModuleSaysSo() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Device.of("cuda:0").backend());
        assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("CUDA backend") && e.getMessage().contains("not on the class path"),
                e.getMessage());
        assertThrows(BackendUnavailableException.class, () -> Tensor.zeros(DType.F32, Device.of("cuda"), 3));
        BackendUnavailableException to = assertThrows(BackendUnavailableException.class, () -> Tensor.ones(2).to("cuda:1"));
        assertTrue(to.getMessage().contains("not on the class path"), to.getMessage());
        BackendUnavailableException other = assertThrows(BackendUnavailableException.class, () -> Device.of("tpu").backend());
        assertTrue(other.getMessage().contains("'tpu'") && other.getMessage().contains("cpu"), other.getMessage());
    }

    @Test
    void theCpuProviderIsFoundByServiceLoader() {
        BackendProvider p = Backends.provider("cpu");
        assertTrue(p != null && p.availability().available() && p.availability().deviceCount() == 1);
        assertSame(org.racro4j.core.cpu.CpuBackend.INSTANCE, Device.CPU.backend());
        assertEquals(Device.CPU, Tensor.ones(1).device());
    }

    // ------------------------------------------------------------------------------------------ messages

    private static void fails(Class<? extends Throwable> type, Executable body, String... mustMention) {
        Throwable e = assertThrows(type, body);
        for (String s : mustMention) assertTrue(e.getMessage().contains(s), "message should mention '" + s + "': " + e.getMessage());
    }

    @Test
    void shapeMismatchesNameTheOpAndBothShapes() {
        Tensor a = Tensor.of(normal(1, 15), 3, 5);
        Tensor b = Tensor.of(normal(2, 8), 2, 4);
        fails(IllegalArgumentException.class, () -> a.mul(b), "mul", "[3, 5]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> a.matmul(b), "matmul", "[3, 5]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> Tensor.ones(2, 3, 5).matmul(Tensor.ones(3, 5, 2)), "matmul", "[2, 3, 5]", "[3, 5, 2]");
        fails(IllegalArgumentException.class, () -> Tensor.cat(List.of(a, b), 0), "cat", "[2, 4]", "[3, 5]");
        fails(IllegalArgumentException.class, () -> Tensor.stack(List.of(a, b), 0), "stack", "[2, 4]", "[3, 5]");
        fails(IllegalArgumentException.class, () -> Functional.linear(a, b, null), "linear", "[3, 5]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> Functional.layerNorm(a, Tensor.ones(4), null, 1e-5f), "layerNorm", "[4]", "[3, 5]");
        fails(IllegalArgumentException.class, () -> Functional.rmsNorm(a, Tensor.ones(6), 1e-5f), "rmsNorm", "[6]", "[3, 5]");
        fails(IllegalArgumentException.class, () -> a.copyFrom(b), "copyFrom", "[3, 5]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> a.addInPlace(b), "addInPlace", "[3, 5]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> a.reshape(4, 4), "reshape", "[3, 5]", "[4, 4]");
        fails(IllegalArgumentException.class, () -> a.view(7, -1), "view", "[3, 5]", "[7, -1]");
        fails(IllegalArgumentException.class, () -> a.gather(1, Tensor.ofLongs(new long[] {0}, 1)), "gather", "[3, 5]", "[1]");
        fails(IllegalArgumentException.class, () -> a.indexAdd(0, Tensor.ofLongs(new long[] {0}, 1), b), "indexAdd", "[2, 4]", "[1, 5]");
        fails(IllegalArgumentException.class, () -> a.scatterAdd(0, Tensor.ofLongs(new long[6], 1, 6), b), "scatterAdd", "[1, 6]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> Functional.crossEntropy(a, Tensor.ofLongs(new long[] {0, 1}, 2), -100),
                "crossEntropy", "[3, 5]", "[2]");
        fails(IllegalArgumentException.class, () -> Functional.rope(Tensor.ones(2, 4, 6), Tensor.ones(4, 2), Tensor.ones(4, 3)),
                "rope", "[2, 4, 6]", "[4, 2]");
        fails(IllegalArgumentException.class, () -> Functional.scaledDotProductAttention(Tensor.ones(1, 3, 2, 4), Tensor.ones(1, 2, 5, 4),
                Tensor.ones(1, 2, 5, 4), null, false, Float.NaN), "scaledDotProductAttention", "[1, 3, 2, 4]", "[1, 2, 5, 4]");
        fails(IllegalArgumentException.class, () -> Tensor.of(new float[] {1, 2, 3}, 2, 2), "of", "3 values", "[2, 2]");
        fails(IllegalArgumentException.class, () -> a.split(new int[] {1, 1}, 0), "split", "[1, 1]", "3");
        fails(IllegalArgumentException.class, () -> a.permute(0, 0), "permute", "repeated");
        fails(IllegalArgumentException.class, () -> a.matmul(Tensor.ones(5, 2).to(DType.BF16)), "matmul", "F32", "BF16");
    }

    @Test
    void outOfRangeIndicesNameTheOpTheIndexAndTheSize() {
        Tensor a = Tensor.of(normal(3, 15), 3, 5);
        fails(IndexOutOfBoundsException.class, () -> a.indexSelect(1, Tensor.ofLongs(new long[] {0, 7}, 2)), "indexSelect", "7", "5");
        fails(IndexOutOfBoundsException.class, () -> a.indexSelect(0, Tensor.ofInts(new int[] {-1}, 1)), "indexSelect", "-1", "3");
        fails(IndexOutOfBoundsException.class, () -> a.gather(1, Tensor.ofLongs(new long[] {0, 9, 1}, 3, 1)), "gather", "9", "5");
        fails(IndexOutOfBoundsException.class, () -> a.scatterAdd(1, Tensor.ofLongs(new long[] {6}, 1, 1), Tensor.ones(1, 1)), "scatterAdd", "6", "5");
        fails(IndexOutOfBoundsException.class, () -> a.indexAdd(0, Tensor.ofLongs(new long[] {3}, 1), Tensor.ones(1, 5)), "indexAdd", "3", "3");
        fails(IndexOutOfBoundsException.class, () -> a.embedding(Tensor.ofLongs(new long[] {1, 12}, 2)), "embedding", "12", "3");
        fails(IndexOutOfBoundsException.class, () -> Functional.crossEntropy(a, Tensor.ofLongs(new long[] {0, 5, 1}, 3), -100),
                "crossEntropy", "5", "[0, 5)");
        fails(IllegalArgumentException.class, () -> a.select(0, 3), "select", "3", "3");
        fails(IllegalArgumentException.class, () -> a.select(1, -6), "select", "-6", "5");
        fails(IllegalArgumentException.class, () -> a.narrow(1, 3, 4), "narrow", "start 3", "length 4", "size 5");
        fails(IllegalArgumentException.class, () -> a.narrow(0, -1, 2), "narrow", "start -1", "size 3");
        assertEquals(2, a.narrow(1, -2, 2).size(1));
        fails(IllegalArgumentException.class, () -> a.slice(1, 6, 7), "slice", "[6, 7)", "size 5");
        fails(IllegalArgumentException.class, () -> a.sum(2, false), "sum", "dim 2", "rank 2");
        fails(IllegalArgumentException.class, () -> a.softmax(-3), "softmax", "dim -3", "rank 2");
        fails(IllegalArgumentException.class, () -> a.transpose(0, 2), "transpose", "dim 2");
        fails(IllegalArgumentException.class, () -> a.size(4), "size", "dim 4");
        fails(IllegalStateException.class, a::item, "item", "15 elements");
    }
}
