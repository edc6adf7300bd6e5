package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.Backend;
import org.racro4j.core.Backend.AdamWHyper;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.GraphCapture;
import org.racro4j.core.MemoryStats;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;

/**
 * An AdamW step in a CUDA graph: once a parameter set has been stepped uncaptured (its table is on the device,
 * {@link AdamWTableCache}), a step of the same set can be captured without a host transfer, and one replay is exactly
 * the captured step t (its scalars are those of the captured call, {@link AdamWLauncher}), bit for bit against the
 * CPU backend's AdamW. A set never stepped before is refused while capturing. Parameters F32 and BF16 of awkward
 * sizes, gradients, m and v F32, never zeros. Skipped, with the reason, where the machine has no NVIDIA GPU; failed
 * where it has one and the backend cannot open it ({@link GpuTestRule}).
 */
@Tag("gpu")
class AdamWCaptureGpuTest {
    private static Device cuda;
    private static CudaBackend gpu;
    private static Backend cpu;
    private static BackendProvider.Availability availability;

    @BeforeAll
    static void openTheGpuIfThereIsOne() {
        availability = GpuTestRule.cudaAvailability();
        if (!availability.available()) return;
        cuda = Device.of("cuda:0");
        gpu = (CudaBackend) cuda.backend();
        cpu = Device.CPU.backend();
    }

    @BeforeEach
    void needsAGpu() {
        assumeTrue(GpuTestRule.canRun(availability), "CUDA GPU test skipped: " + availability.description());
    }

    /** Params, grads, m and v of one parameter set, on one device. */
    private record ParamSet(List<Tensor> p, List<Tensor> g, List<Tensor> m, List<Tensor> v) {
        void step(Backend b, AdamWHyper h) {
            b.adamw(p, g, m, v, h);
        }

        ParamSet to(Device d) {
            return new ParamSet(copy(p, d), copy(g, d), copy(m, d), copy(v, d));
        }

        private static List<Tensor> copy(List<Tensor> ts, Device d) {
            return ts.stream().map(t -> t.to(d)).toList();
        }
    }

    /** A set on the CPU: params of these sizes and dtypes, F32 grads, m of either sign, v positive. */
    private static ParamSet cpuSet(long seed, int[] sizes, DType[] dtypes) {
        ParamSet s = new ParamSet(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < sizes.length; i++) {
            s.p().add(Tensor.randn(new Generator(seed + 10 * i), sizes[i]).to(dtypes[i]));
            s.g().add(Tensor.randn(new Generator(seed + 10 * i + 1), sizes[i]));
            s.m().add(Tensor.randn(new Generator(seed + 10 * i + 2), sizes[i]).mul(0.1f));
            s.v().add(Tensor.rand(new Generator(seed + 10 * i + 3), sizes[i]).mul(0.02f).add(1e-4f));
        }
        return s;
    }

    /** The raw bytes of a contiguous tensor, on whichever backend holds it. */
    private static byte[] bytes(Tensor t) {
        int es = t.dtype().byteSize();
        ByteBuffer b = ByteBuffer.allocate((int) t.numel() * es);
        t.storage().backend().download(t.storage(), (long) t.offset() * es, b);
        return b.array();
    }

    private static void assertBitIdentical(ParamSet want, ParamSet got) {
        for (int i = 0; i < want.p().size(); i++) {
            String which = " of parameter " + i + " (" + want.p().get(i).dtype() + ", " + want.p().get(i).numel() + " elements)";
            assertArrayEquals(bytes(want.p().get(i)), bytes(got.p().get(i)), "param" + which);
            assertArrayEquals(bytes(want.m().get(i)), bytes(got.m().get(i)), "m" + which);
            assertArrayEquals(bytes(want.v().get(i)), bytes(got.v().get(i)), "v" + which);
        }
    }

    private static AdamWHyper hyper(long step) {
        return new AdamWHyper(3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
    }

    @Test
    void aCapturedStepUploadsNothingAndOneReplayIsThatStepBitForBit() {
        ParamSet onCpu = cpuSet(1510, new int[] {100_003, 21, 4099, 13}, new DType[] {DType.F32, DType.BF16, DType.F32, DType.BF16});
        ParamSet onGpu = onCpu.to(cuda);
        long t = 7;

        onCpu.step(cpu, hyper(1));
        onCpu.step(cpu, hyper(t));
        onGpu.step(gpu, hyper(1));   // uncaptured: uploads the set's table
        gpu.synchronize();

        long syncs = gpu.hostSyncs();
        MemoryStats memory = gpu.memoryStats();
        GraphCapture.Graph graph = gpu.capture(() -> onGpu.step(gpu, hyper(t)));
        try {
            // A host-to-device copy would have been refused inside the capture; nothing was allocated for a table either.
            assertEquals(memory, gpu.memoryStats(), "the capture allocated nothing: the table was already on the device");
            assertEquals(syncs, gpu.hostSyncs(), "the capture made the host wait for nothing");
            graph.replay();
            assertBitIdentical(onCpu, onGpu);
        } finally {
            graph.close();
        }
    }

    @Test
    void capturingAStepOfANewParameterSetIsRefused() {
        ParamSet onCpu = cpuSet(1520, new int[] {29, 1031}, new DType[] {DType.BF16, DType.F32});
        ParamSet onGpu = onCpu.to(cuda);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gpu.capture(() -> onGpu.step(gpu, hyper(1))));
        assertTrue(e.getMessage().startsWith("adamw: a parameter set not seen before cannot be part of a CUDA graph capture"),
                e.getMessage());
        // The refused step ran nowhere and the stream works again: one eager step equals the CPU's one step.
        onCpu.step(cpu, hyper(1));
        onGpu.step(gpu, hyper(1));
        assertBitIdentical(onCpu, onGpu);
    }
}
