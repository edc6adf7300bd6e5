package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;

/**
 * Host transfers through the pinned staging ring ({@link StagingRing}, {@link CudaDevice#upload}/{@code download}):
 * a run of small uploads queues without the host waiting, a transfer larger than the ring lands exactly where it
 * should, and uploads and downloads interleaved at random sizes keep every byte. Data are random bytes with no zero
 * byte, compared bit for bit. Skipped, with the reason, where the machine has no NVIDIA GPU; failed where it has one
 * and the backend cannot open it ({@link GpuTestRule}).
 */
@Tag("gpu")
class TransfersGpuTest {
    private static Device cuda;
    private static CudaBackend gpu;
    private static BackendProvider.Availability availability;

    @BeforeAll
    static void openTheGpuIfThereIsOne() {
        availability = GpuTestRule.cudaAvailability();
        if (!availability.available()) return;
        cuda = Device.of("cuda:0");
        gpu = (CudaBackend) cuda.backend();
    }

    @BeforeEach
    void needsAGpu() {
        assumeTrue(GpuTestRule.canRun(availability), "CUDA GPU test skipped: " + availability.description());
    }

    /** n random bytes, none of them zero. */
    private static byte[] randomBytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (1 + r.nextInt(255));
        return b;
    }

    /** An F32 tensor on the GPU holding these bytes (a multiple of 4). */
    private static Tensor uploaded(byte[] bytes) {
        Tensor t = Tensor.empty(DType.F32, cuda, bytes.length / 4);
        upload(t, bytes);
        return t;
    }

    /** Writes bytes over a contiguous GPU tensor (which may be a slice of a larger storage). */
    private static void upload(Tensor t, byte[] bytes) {
        assertEquals(t.numel() * 4, bytes.length, "bytes for the whole tensor");
        gpu.upload(t.storage(), 4L * t.offset(), ByteBuffer.wrap(bytes));
    }

    /** The bytes of a contiguous GPU tensor. */
    private static byte[] download(Tensor t) {
        ByteBuffer b = ByteBuffer.allocate((int) t.numel() * 4);
        gpu.download(t.storage(), 4L * t.offset(), b);
        assertEquals(0, b.remaining(), "the download filled the buffer");
        return b.array();
    }

    @Test
    void manySmallUploadsQueueWithoutTheHostWaiting() {
        SplittableRandom r = new SplittableRandom(1501);
        int count = 200;
        Tensor[] tensors = new Tensor[count];
        byte[][] want = new byte[count][];
        for (int i = 0; i < count; i++) {
            int floats = 25 + r.nextInt(100);   // 100 to 496 bytes
            tensors[i] = Tensor.empty(DType.F32, cuda, floats);
            want[i] = randomBytes(r, 4 * floats);
        }
        upload(tensors[0], want[0]);   // makes the staging ring before the count starts
        gpu.synchronize();
        long waits = gpu.gpu().stagingWaits();
        // 200 regions of at most 512 bytes take 100 KiB of the 16 MiB ring; the ring comes round to an event slot (64
        // of them) only 64 uploads later, by which time a copy of a few hundred bytes has long finished.
        for (int i = 0; i < count; i++) upload(tensors[i], want[i]);
        assertEquals(waits, gpu.gpu().stagingWaits(), "a run of " + count + " small uploads made the host wait for a copy");
        for (int i = 0; i < count; i++) assertArrayEquals(want[i], download(tensors[i]), "tensor " + i + " of " + count);
        for (Tensor t : tensors) t.close();
    }

    @Test
    void aTransferLargerThanTheRingRoundTripsIntoASliceAtAnOddOffset() {
        SplittableRandom r = new SplittableRandom(1502);
        int n = 3 * CudaDevice.STAGING_BYTES / 4 + 37;   // 48 MiB + 148 bytes of F32: three rings and a bit, 13 pieces
        int before = 37;
        int after = 11;
        byte[] around = randomBytes(r, 4 * (before + n + after));
        Tensor whole = uploaded(around);
        Tensor slice = whole.narrow(0, before, n);
        assertEquals(before, slice.offset(), "the slice starts at an odd element");
        byte[] data = randomBytes(r, 4 * n);
        upload(slice, data);
        assertArrayEquals(data, download(slice), "the slice comes back bit for bit");
        byte[] want = around.clone();
        System.arraycopy(data, 0, want, 4 * before, data.length);
        assertArrayEquals(want, download(whole), "the elements around the slice are untouched");
        whole.close();
    }

    @Test
    void interleavedUploadsAndDownloadsOfRandomSizesKeepEveryByte() {
        SplittableRandom r = new SplittableRandom(1503);
        List<Tensor> tensors = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        for (int step = 0; step < 60; step++) {
            int op = tensors.isEmpty() ? 0 : r.nextInt(3);
            if (op == 2) {
                int i = r.nextInt(tensors.size());
                assertArrayEquals(contents.get(i), download(tensors.get(i)), "step " + step + ": tensor " + i);
                continue;
            }
            // A quarter of the transfers span several staging pieces (up to 12 MiB), the rest are small.
            int floats = r.nextInt(4) == 0 ? 1 + r.nextInt(3 << 20) : 1 + r.nextInt(2000);
            byte[] bytes = randomBytes(r, 4 * floats);
            if (op == 0) {
                tensors.add(uploaded(bytes));
                contents.add(bytes);
            } else {   // overwrite an earlier tensor (a prefix of it when the new bytes are fewer)
                int i = r.nextInt(tensors.size());
                byte[] now = contents.get(i).clone();
                int k = Math.min(now.length, bytes.length);
                System.arraycopy(bytes, 0, now, 0, k);
                upload(tensors.get(i).narrow(0, 0, k / 4), java.util.Arrays.copyOf(bytes, k));
                contents.set(i, now);
            }
        }
        for (int i = 0; i < tensors.size(); i++) assertArrayEquals(contents.get(i), download(tensors.get(i)), "at the end: tensor " + i);
        for (Tensor t : tensors) t.close();
    }
}
