package org.racro4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.ScopePerTest;
import org.racro4j.core.Tensor;
import org.racro4j.core.TestSupport;

/**
 * The .npy format, version 1.0 (NumPy's format spec, numpy.lib.format): the magic string "\x93NUMPY", major 1,
 * minor 0, a little-endian unsigned short HEADER_LEN, then HEADER_LEN bytes of an ASCII Python dict literal with
 * keys descr, fortran_order and shape, terminated by '\n' and padded with spaces before it so that
 * 6 + 2 + 2 + HEADER_LEN is a multiple of 64; then the data in C order.
 */
@ExtendWith(ScopePerTest.class)
class NpyTest {
    @TempDir
    Path dir;
    /** The header a spec-following writer produces for this dict, built here from the spec's rules. */
    private static byte[] expectedHeader(String descr, String shapeLiteral) {
        return headerFor("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeLiteral + ", }");
    }

    private static byte[] headerFor(String dict) {
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
        out.write(1);
        out.write(0);
        out.write(header.length() & 0xff);
        out.write(header.length() >>> 8);
        out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void headerBytesAreExactlyAsTheSpecPrescribes() throws IOException {
        Object[][] cases = {
                {Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), "<f4", "(2, 3)"},
                {Tensor.ofInts(new int[] {7, -8, 9}, 3), "<i4", "(3,)"},
                {Tensor.ofLongs(new long[] {1L << 40}), "<i8", "()"},
                {Tensor.of(new float[] {0.5f, -2f}, 2).to(DType.F16), "<f2", "(2,)"},
                {Tensor.zeros(2, 0, 17), "<f4", "(2, 0, 17)"},
        };
        for (Object[] c : cases) {
            Tensor t = (Tensor) c[0];
            Path f = dir.resolve("h.npy");
            Npy.write(f, t);
            byte[] all = Files.readAllBytes(f);
            byte[] expected = expectedHeader((String) c[1], (String) c[2]);
            assertArrayEquals(expected, java.util.Arrays.copyOf(all, expected.length), "header for " + c[1] + " " + c[2]);
            assertEquals(0, expected.length % 64, "data starts 64-byte aligned");
            assertEquals(expected.length + t.numel() * t.dtype().byteSize(), all.length);
        }
    }

    @Test
    void dataIsLittleEndianCOrderEvenForATransposedView() throws IOException {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t(); // logical [[1, 4], [2, 5], [3, 6]]
        Path f = dir.resolve("t.npy");
        Npy.write(f, t);
        byte[] all = Files.readAllBytes(f);
        byte[] head = expectedHeader("<f4", "(3, 2)");
        assertArrayEquals(head, java.util.Arrays.copyOf(all, head.length));
        ByteBuffer b = ByteBuffer.wrap(all, head.length, 24).order(ByteOrder.LITTLE_ENDIAN);
        float[] data = new float[6];
        for (int i = 0; i < 6; i++) data[i] = b.getFloat();
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, data);
    }

    @Test
    void roundTripsForEveryDtypeAndShape() throws IOException {
        int[][] shapes = {{}, {3}, {2, 3}};
        for (int[] shape : shapes) {
            int n = TestSupport.numel(shape);
            Tensor[] ts = {
                    Tensor.of(TestSupport.normal(n, n), shape),
                    Tensor.ofInts(TestSupport.toInts(TestSupport.indices(n, n, 1000)), shape),
                    Tensor.ofLongs(new long[n], shape).add(Tensor.ofLongs(TestSupport.indices(n + 1, n, 1 << 30), shape)),
                    Tensor.of(TestSupport.normal(n + 2, n), shape).to(DType.F16),
            };
            for (Tensor t : ts) {
                Path f = dir.resolve("rt.npy");
                Npy.write(f, t);
                Tensor back = Npy.read(f);
                assertEquals(t.dtype(), back.dtype(), java.util.Arrays.toString(shape));
                assertArrayEquals(t.shape(), back.shape());
                if (t.dtype().isFloatingPoint()) TestSupport.assertBitsEqual("npy " + t.dtype(), t.toFloatArray(), back.toFloatArray());
                else assertArrayEquals(t.toLongArray(), back.toLongArray());
            }
        }
    }

    @Test
    void bf16IsWrittenAsFloat32() throws IOException {
        Tensor b = Tensor.of(new float[] {1.5f, -3.25f}, 2).to(DType.BF16);
        Path f = dir.resolve("b.npy");
        Npy.write(f, b);
        Tensor back = Npy.read(f);
        assertEquals(DType.F32, back.dtype());
        assertArrayEquals(new float[] {1.5f, -3.25f}, back.toFloatArray());
    }

    @Test
    void writingLeavesNoTemporaryFiles() throws IOException {
        Npy.write(dir.resolve("a.npy"), Tensor.ones(3));
        Npy.write(dir.resolve("a.npy"), Tensor.ones(4));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("a.npy")), s.toList());
        }
        assertArrayEquals(new int[] {4}, Npy.read(dir.resolve("a.npy")).shape());
    }

    @Test
    void malformedNpyFilesAreRejectedWithTheFileName() throws IOException {
        Path bad = dir.resolve("bad.npy");
        Files.write(bad, "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        IOException e = assertThrows(IOException.class, () -> Npy.read(bad));
        assertTrue(e.getMessage().contains(bad.toString()) && e.getMessage().contains("magic"), e.getMessage());
        Path trunc = dir.resolve("trunc.npy");
        Npy.write(trunc, Tensor.ones(100));
        byte[] all = Files.readAllBytes(trunc);
        Files.write(trunc, java.util.Arrays.copyOf(all, all.length - 4));
        IOException t = assertThrows(IOException.class, () -> Npy.read(trunc));
        assertTrue(t.getMessage().contains(trunc.toString()) && t.getMessage().contains("truncated"), t.getMessage());
        Path f64 = dir.resolve("f64.npy");
        byte[] head = expectedHeader("<f8", "(1,)");
        byte[] file = java.util.Arrays.copyOf(head, head.length + 8);
        Files.write(f64, file);
        IOException d = assertThrows(IOException.class, () -> Npy.read(f64));
        assertTrue(d.getMessage().contains("<f8"), d.getMessage());
        Path fortran = dir.resolve("fortran.npy");
        byte[] fh = headerFor("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }");
        Files.write(fortran, java.util.Arrays.copyOf(fh, fh.length + 16));
        IOException fo = assertThrows(IOException.class, () -> Npy.read(fortran));
        assertTrue(fo.getMessage().contains(fortran.toString()) && fo.getMessage().contains("Fortran"), fo.getMessage());
    }

    // ------------------------------------------------------------------------------------------ cross-check with NumPy

    private static String python(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("python3 timed out");
        }
        if (p.exitValue() != 0) throw new IOException("python3 failed (" + p.exitValue() + "): " + out);
        return out.trim();
    }

    private static boolean numpyAvailable() {
        try {
            python("import numpy");
            return true;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void numpyReadsOurFilesAndWeReadNumpys() throws IOException, InterruptedException {
        assumeTrue(numpyAvailable(), "skipped: python3 with numpy is not available on this machine");
        Path ours = dir.resolve("ours.npy");
        float[] values = {1.5f, -2f, 3.25f, 0.1f, 1e-8f, -7f};
        Npy.write(ours, Tensor.of(values, 2, 3));
        // compare bit patterns, not decimal renderings
        String seen = python("import numpy as np; a = np.load(r'" + ours + "'); "
                + "print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], ' '.join(str(int(x)) for x in a.ravel().view(np.uint32)))");
        StringBuilder bits = new StringBuilder("float32 (2, 3) True");
        for (float v : values) bits.append(' ').append(Integer.toUnsignedString(Float.floatToRawIntBits(v)));
        assertEquals(bits.toString(), seen);
        Path i64 = dir.resolve("ours_i64.npy");
        Npy.write(i64, Tensor.ofLongs(new long[] {-(1L << 50), 3}, 2));
        assertEquals("int64 [-1125899906842624, 3]", python("import numpy as np; a = np.load(r'" + i64 + "'); print(a.dtype, a.tolist())"));

        Path theirs = dir.resolve("theirs_f32.npy");
        Path theirsI32 = dir.resolve("theirs_i32.npy");
        Path theirsF16 = dir.resolve("theirs_f16.npy");
        Path theirsScalar = dir.resolve("theirs_scalar.npy");
        python("import numpy as np; "
                + "np.save(r'" + theirs + "', np.arange(12, dtype=np.float32).reshape(3, 4) / 8); "
                + "np.save(r'" + theirsI32 + "', np.array([5, -6, 7], dtype=np.int32)); "
                + "np.save(r'" + theirsF16 + "', np.array([[0.5, 65504], [-0.0, 1/3]], dtype=np.float16)); "
                + "np.save(r'" + theirsScalar + "', np.int64(-42))");
        Tensor a = Npy.read(theirs);
        assertArrayEquals(new int[] {3, 4}, a.shape());
        float[] expected = new float[12];
        for (int i = 0; i < 12; i++) expected[i] = i / 8f;
        assertArrayEquals(expected, a.toFloatArray());
        assertArrayEquals(new long[] {5, -6, 7}, Npy.read(theirsI32).toLongArray());
        Tensor h = Npy.read(theirsF16);
        assertEquals(DType.F16, h.dtype());
        assertArrayEquals(new float[] {0.5f, 65504f, -0f, 0.333251953125f}, h.toFloatArray());
        Tensor s = Npy.read(theirsScalar);
        assertEquals(0, s.dim());
        assertEquals(DType.I64, s.dtype());
        assertEquals(-42, s.toLongArray()[0]);
        assertEquals(Device.CPU, s.device());
    }
}
