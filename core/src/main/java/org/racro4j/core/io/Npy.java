package org.racro4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;

/**
 * NumPy's .npy format, version 1.0: magic "\x93NUMPY", version 1.0, a little-endian uint16 header length, a
 * Python dict literal {'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and a
 * newline so that the data starts at a multiple of 64 bytes, then the C-order data. BF16 is written as
 * float32 (NumPy has no bfloat16).
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {}

    public static void write(Path path, Tensor tensor) throws IOException {
        Tensor t = Scope.unscoped(() -> {
            try (Autograd.Mode off = Autograd.noGrad()) {
                Tensor cpu = tensor.to(Device.CPU);
                Tensor cast = cpu.dtype() == DType.BF16 ? cpu.to(DType.F32) : cpu;
                if (cast != cpu && cpu != tensor) cpu.close();
                Tensor dense = cast.contiguous();
                if (dense != cast && cast != tensor) cast.close();
                return dense;
            }
        });
        try {
            String descr = switch (t.dtype()) {
                case F32 -> "<f4";
                case F16 -> "<f2";
                case I32 -> "<i4";
                case I64 -> "<i8";
                case BF16 -> throw new AssertionError();
            };
            String dims = shapeLiteral(t.shape());
            String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
            int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
            int total = (unpadded + 63) / 64 * 64;
            String header = dict + " ".repeat(total - unpadded) + "\n";
            long bytes = t.numel() * t.dtype().byteSize();
            ByteBuffer out = ByteBuffer.allocate((int) (total + bytes)).order(ByteOrder.LITTLE_ENDIAN);
            out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
            out.put(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer data = out.slice().order(ByteOrder.LITTLE_ENDIAN);
            t.backend().download(t.storage(), (long) t.offset() * t.dtype().byteSize(), data.limit((int) bytes));
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, out.array());
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } finally {
            if (t != tensor) t.close();
        }
    }

    /** Python's tuple literal: (), (3,), (2, 3). */
    static String shapeLiteral(int[] shape) {
        if (shape.length == 0) return "()";
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(')').toString();
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** Reads a little-endian, C-order .npy of float32, float16, int32 or int64 onto the CPU. */
    public static Tensor read(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 10) throw new IOException(path + ": not a .npy file (too short)");
        for (int i = 0; i < MAGIC.length; i++) {
            if (all[i] != MAGIC[i]) throw new IOException(path + ": not a .npy file (bad magic)");
        }
        int major = all[6];
        int headerLen;
        int dataStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            dataStart = 10 + headerLen;
        } else if (major == 2 || major == 3) {
            headerLen = b.getInt(8);
            dataStart = 12 + headerLen;
        } else {
            throw new IOException(path + ": unsupported .npy version " + major);
        }
        if (dataStart > all.length) throw new IOException(path + ": header runs past the end of the file");
        String header = new String(all, dataStart - headerLen, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new IOException(path + ": malformed .npy header: " + header.trim());
        if (f.group(1).equals("True")) throw new IOException(path + ": Fortran-order arrays are not supported");
        DType dtype = switch (d.group(1)) {
            case "<f4" -> DType.F32;
            case "<f2" -> DType.F16;
            case "<i4" -> DType.I32;
            case "<i8" -> DType.I64;
            default -> throw new IOException(path + ": unsupported dtype " + d.group(1));
        };
        String[] parts = s.group(1).split(",");
        int n = 0;
        int[] shape = new int[parts.length];
        for (String p : parts) {
            if (!p.isBlank()) shape[n++] = Integer.parseInt(p.trim());
        }
        shape = java.util.Arrays.copyOf(shape, n);
        Tensor t = Tensor.empty(dtype, Device.CPU, shape);
        long bytes = t.numel() * dtype.byteSize();
        if (dataStart + bytes > all.length) throw new IOException(path + ": data is truncated");
        t.backend().upload(t.storage(), 0, ByteBuffer.wrap(all, dataStart, (int) bytes).slice());
        return t;
    }
}
