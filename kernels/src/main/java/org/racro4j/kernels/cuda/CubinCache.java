package org.racro4j.kernels.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Compiled kernel images on disk, {@code <dir>/<sha256>.cubin} (or {@code .ptx}), keyed by everything that
 * decides the bytes: the source, the headers, the options, the target architecture and the compiler's
 * identity. The default folder is {@code ~/.cache/racro4j/cubin} ({@code $XDG_CACHE_HOME/racro4j/cubin} when that
 * is set); {@value #PROP_DIR} moves it. Writes are atomic (temp file, then rename), so concurrent JVMs never read
 * half a file; an unreadable entry is simply compiled again.
 */
final class CubinCache {
    static final String PROP_DIR = "racro4j.cuda.cacheDir";

    private final Path dir;

    CubinCache(Path dir) {
        this.dir = dir;
    }

    static CubinCache standard() {
        String override = System.getProperty(PROP_DIR);
        if (override != null && !override.isBlank()) return new CubinCache(Path.of(override.trim()));
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new CubinCache(base.resolve("racro4j").resolve("cubin"));
    }

    /** The hex SHA-256 that names a request's image. */
    static String key(KernelCompiler.Request request, String compilerIdentity) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            update(md, "racro4j-kernel-v1");
            update(md, request.name());
            update(md, request.source());
            for (Map.Entry<String, String> h : new TreeMap<>(request.headers()).entrySet()) {
                update(md, h.getKey());
                update(md, h.getValue());
            }
            for (String o : request.options()) update(md, o);
            update(md, request.target().smName());
            update(md, compilerIdentity);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Each part is length-prefixed so that ("ab", "c") and ("a", "bc") hash differently. */
    private static void update(MessageDigest md, String part) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        md.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
        md.update((byte) ':');
        md.update(b);
    }

    Optional<KernelCompiler.Image> load(String key) {
        for (boolean ptx : new boolean[] {false, true}) {
            Path p = dir.resolve(key + (ptx ? ".ptx" : ".cubin"));
            if (Files.isRegularFile(p)) {
                try {
                    return Optional.of(new KernelCompiler.Image(Files.readAllBytes(p), ptx));
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** Stores an image; a cache that cannot be written is not an error (the next run compiles again). */
    void store(String key, KernelCompiler.Image image) {
        try {
            Files.createDirectories(dir);
            Path target = dir.resolve(key + (image.ptx() ? ".ptx" : ".cubin"));
            Path tmp = Files.createTempFile(dir, key, ".tmp");
            Files.write(tmp, image.bytes());
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | SecurityException e) {
            // read-only home or full disk: keep going without a cache
        }
    }

    void remove(String key) {
        try {
            Files.deleteIfExists(dir.resolve(key + ".cubin"));
            Files.deleteIfExists(dir.resolve(key + ".ptx"));
        } catch (IOException e) {
            // nothing to do
        }
    }
}
