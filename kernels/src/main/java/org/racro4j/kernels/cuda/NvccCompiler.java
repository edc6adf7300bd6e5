package org.racro4j.kernels.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The fallback compiler: {@code nvcc -cubin -gencode=arch=compute_XY,code=sm_XY} in a temporary folder. Used
 * when no NVRTC is found, and by the build to prove that every kernel file compiles for sm_90a.
 */
final class NvccCompiler implements KernelCompiler {
    private static final long TIMEOUT_MINUTES = 10;

    private final Path nvcc;
    private final String version;

    NvccCompiler(Path nvcc) {
        this.nvcc = nvcc;
        this.version = queryVersion(nvcc);
    }

    @Override
    public String identity() {
        return "nvcc " + version;
    }

    String description() {
        return "nvcc " + version + " (" + nvcc + ")";
    }

    /** The nvcc command line for one source file, as run (and as a user can repeat it). */
    List<String> command(Path source, Path includeDir, Path output, Target target, List<String> options) {
        List<String> cmd = new ArrayList<>();
        cmd.add(nvcc.toString());
        cmd.add("-cubin");
        cmd.add("-gencode=arch=" + target.computeName() + ",code=" + target.smName());
        cmd.add("-I" + includeDir);
        cmd.addAll(options);
        cmd.add("-o");
        cmd.add(output.toString());
        cmd.add(source.toString());
        return cmd;
    }

    @Override
    public Image compile(Request request) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("racro4j-nvcc-");
            Path src = dir.resolve(request.name() + ".cu");
            Files.writeString(src, request.source(), StandardCharsets.UTF_8);
            for (Map.Entry<String, String> h : request.headers().entrySet()) {
                Files.writeString(dir.resolve(h.getKey()), h.getValue(), StandardCharsets.UTF_8);
            }
            Path out = dir.resolve(request.name() + ".cubin");
            List<String> cmd = command(src, dir, out, request.target(), request.options());
            String output = run(cmd, dir);
            if (!Files.isRegularFile(out)) {
                throw new CompileException("nvcc " + version + " failed to compile " + request.name() + ".cu for "
                        + request.target().smName() + ":\n" + String.join(" ", cmd) + "\n" + output);
            }
            return new Image(Files.readAllBytes(out), false);
        } catch (IOException e) {
            throw new CompileException("nvcc: " + e.getMessage());
        } finally {
            deleteTree(dir);
        }
    }

    /** Runs a command, returning its combined output; throws CompileException on a non-zero exit. */
    static String run(List<String> cmd, Path workDir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (workDir != null) pb.directory(workDir.toFile());
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new CompileException(String.join(" ", cmd) + " did not finish in " + TIMEOUT_MINUTES + " minutes");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new CompileException(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new CompileException("cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompileException("interrupted while running " + cmd.get(0));
        }
    }

    /** "13.0.88" from "Cuda compilation tools, release 13.0, V13.0.88". */
    private static String queryVersion(Path nvcc) {
        String text = run(List.of(nvcc.toString(), "--version"), null);
        int v = text.lastIndexOf(", V");
        if (v >= 0) {
            int end = v + 3;
            while (end < text.length() && !Character.isWhitespace(text.charAt(end))) end++;
            return text.substring(v + 3, end);
        }
        return text.strip().replaceAll("\\s+", " ");
    }

    private static void deleteTree(Path dir) {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a stray temp folder is harmless
        }
    }
}
