package org.racro4j.kernels.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the native CUDA libraries on an ordinary machine without configuration: the driver ({@code libcuda.so.1}),
 * NVRTC ({@code libnvrtc.so.*} with its {@code libnvrtc-builtins}), cuBLAS and {@code nvcc}. It looks in
 * {@code LD_LIBRARY_PATH}, {@code CUDA_HOME}/{@code CUDA_PATH}, the CUDA toolkit folders
 * ({@code /usr/local/cuda*}/lib64 and targets/x86_64-linux/lib), the distribution's library folders, and the
 * NVIDIA wheels that pip installs beside PyTorch ({@code site-packages/nvidia/<component>/lib}, CUDA 12 and 13
 * layouts). Only file names are looked at: nothing is loaded here.
 *
 * <p>System properties override the search, each naming a file (or, for the toolkit libraries, a folder):
 * <ul>
 * <li>{@value #PROP_LIBCUDA}: the driver library, e.g. /usr/lib/x86_64-linux-gnu/libcuda.so.1</li>
 * <li>{@value #PROP_NVRTC}: libnvrtc.so.N or the folder holding it</li>
 * <li>{@value #PROP_NVRTC_BUILTINS}: libnvrtc-builtins.so.N.M (default: beside libnvrtc)</li>
 * <li>{@value #PROP_CUBLAS}: libcublas.so.N or its folder, or {@code off} to use the built-in GEMM</li>
 * <li>{@value #PROP_NVCC}: the nvcc executable used when NVRTC is missing</li>
 * </ul>
 * LWJGL's own {@code org.lwjgl.cuda.nvrtc.libname} and {@code org.lwjgl.cuda.nvrtc-builtins.libname} are honoured
 * too when they name existing files (as the GPU bundle's run.sh sets them).
 *
 * <p>The root, the environment and the properties are injected so that tests can run the search on a fake
 * directory tree.
 */
public final class CudaLibraries {
    public static final String PROP_LIBCUDA = "racro4j.cuda.libcuda";
    public static final String PROP_NVRTC = "racro4j.cuda.nvrtc";
    public static final String PROP_NVRTC_BUILTINS = "racro4j.cuda.nvrtcBuiltins";
    public static final String PROP_CUBLAS = "racro4j.cuda.cublas";
    public static final String PROP_NVCC = "racro4j.cuda.nvcc";

    static final String DRIVER_NAME = "libcuda.so.1";
    private static final Pattern NVRTC = Pattern.compile("libnvrtc\\.so(?:\\.(\\d+))?(?:\\.\\d+)*");
    private static final Pattern CUBLAS = Pattern.compile("libcublas\\.so(?:\\.(\\d+))?(?:\\.\\d+)*");
    private static final Pattern VERSIONED = Pattern.compile(".*\\.so\\.(\\d+)(?:\\.\\d+)*");

    /** A found NVRTC: the library, its builtins (null when none was found beside it) and its major version (0 if unknown). */
    public record Nvrtc(Path library, Path builtins, int major) {}

    /** A found cuBLAS and its major version (0 if unknown). */
    public record Cublas(Path library, int major) {}

    private final Path root;
    private final Map<String, String> env;
    private final Properties props;

    /** A search of this machine: root "/", the process environment, the system properties. */
    public static CudaLibraries system() {
        return new CudaLibraries(Path.of("/"), System.getenv(), System.getProperties());
    }

    /**
     * A search where every absolute default location is taken relative to {@code root} (a fake tree in tests).
     * Paths given in the environment or in properties are used as they are.
     */
    public CudaLibraries(Path root, Map<String, String> env, Properties props) {
        this.root = root;
        this.env = env;
        this.props = props;
    }

    // ------------------------------------------------------------------------------------------ driver

    /** The driver library, or empty. A property that names a missing file is reported by {@link #driverSearchDescription}. */
    public Optional<Path> findDriver() {
        String override = props.getProperty(PROP_LIBCUDA);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override.trim());
            if (Files.isDirectory(p)) p = p.resolve(DRIVER_NAME);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path dir : driverDirs()) {
            Path p = dir.resolve(DRIVER_NAME);
            if (Files.isRegularFile(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * Where the driver is looked for, in order. The toolkit's {@code stubs} folder is never among them: its
     * libcuda is a link-time stub whose cuInit always fails.
     */
    public List<Path> driverDirs() {
        Set<Path> dirs = new LinkedHashSet<>(ldLibraryPath());
        for (String d : List.of("usr/lib/x86_64-linux-gnu", "usr/lib64", "lib/x86_64-linux-gnu", "lib64", "usr/lib/wsl/lib",
                "usr/local/nvidia/lib64", "usr/lib", "usr/lib/nvidia")) {
            dirs.add(root.resolve(d));
        }
        dirs.removeIf(p -> p.toString().contains("/stubs"));
        return new ArrayList<>(dirs);
    }

    /** Why the driver was not found, for availability messages. */
    public String driverSearchDescription() {
        String override = props.getProperty(PROP_LIBCUDA);
        if (override != null && !override.isBlank()) {
            return DRIVER_NAME + " not found at -D" + PROP_LIBCUDA + "=" + override.trim();
        }
        return DRIVER_NAME + " not found (no NVIDIA driver); looked in " + joined(driverDirs())
                + "; set -D" + PROP_LIBCUDA + "=/path/to/" + DRIVER_NAME + " if it is elsewhere";
    }

    // ------------------------------------------------------------------------------------------ toolkit

    /**
     * Folders that may hold toolkit libraries (NVRTC, cuBLAS), in search order: LD_LIBRARY_PATH, CUDA_HOME and
     * CUDA_PATH, /usr/local/cuda, /usr/local/cuda-X.Y (newest first), the distribution's folders, then the
     * NVIDIA pip wheels and torch/lib of every Python installation found.
     */
    public List<Path> toolkitDirs() {
        Set<Path> dirs = new LinkedHashSet<>(ldLibraryPath());
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) addToolkitRoot(dirs, Path.of(v.trim()));
        }
        addToolkitRoot(dirs, root.resolve("usr/local/cuda"));
        for (Path p : sortedNewestFirst(list(root.resolve("usr/local"), "cuda-"))) addToolkitRoot(dirs, p);
        for (String d : List.of("usr/lib/x86_64-linux-gnu", "usr/lib64", "usr/lib/nvidia-cuda-toolkit/lib64", "opt/cuda/lib64")) {
            dirs.add(root.resolve(d));
        }
        for (Path site : pythonSitePackages()) {
            for (Path component : list(site.resolve("nvidia"), "")) dirs.add(component.resolve("lib"));
            dirs.add(site.resolve("torch/lib"));
        }
        dirs.removeIf(p -> !Files.isDirectory(p));
        return new ArrayList<>(dirs);
    }

    private static void addToolkitRoot(Set<Path> dirs, Path toolkit) {
        dirs.add(toolkit.resolve("lib64"));
        dirs.add(toolkit.resolve("targets/x86_64-linux/lib"));
        dirs.add(toolkit.resolve("lib"));
    }

    /** LWJGL's own settings, honoured when they name files and racro4j's properties are not set. */
    static final String LWJGL_NVRTC = "org.lwjgl.cuda.nvrtc.libname";
    static final String LWJGL_NVRTC_BUILTINS = "org.lwjgl.cuda.nvrtc-builtins.libname";

    /** Every NVRTC found, the highest major version first (search order among equals). */
    public List<Nvrtc> findNvrtc() {
        List<Path> dirs;
        String override = props.getProperty(PROP_NVRTC);
        if ((override == null || override.isBlank()) && isFile(props.getProperty(LWJGL_NVRTC))) {
            Path lib = Path.of(props.getProperty(LWJGL_NVRTC).trim());
            String b = props.getProperty(PROP_NVRTC_BUILTINS, props.getProperty(LWJGL_NVRTC_BUILTINS));
            Path builtins = isFile(b) ? Path.of(b.trim()) : builtinsBeside(lib, majorVersion(lib));
            return List.of(new Nvrtc(lib, builtins, majorVersion(lib)));
        }
        List<Nvrtc> found = new ArrayList<>();
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override.trim());
            if (Files.isRegularFile(p)) {
                found.add(nvrtcAt(p));
                return found;
            }
            dirs = List.of(p);
        } else {
            dirs = toolkitDirs();
        }
        for (Path dir : dirs) {
            for (Path lib : sonameFirst(list(dir, "libnvrtc"))) {
                Matcher m = NVRTC.matcher(lib.getFileName().toString());
                if (m.matches() && Files.isRegularFile(lib)) found.add(nvrtcAt(lib));
            }
        }
        return dedupeByMajor(found, Nvrtc::major, n -> n.library().getParent());
    }

    private Nvrtc nvrtcAt(Path lib) {
        int major = majorVersion(lib);
        Path builtins;
        String override = props.getProperty(PROP_NVRTC_BUILTINS);
        if (override != null && !override.isBlank()) {
            builtins = Path.of(override.trim());
        } else {
            builtins = builtinsBeside(lib, major);
        }
        return new Nvrtc(lib, builtins, major);
    }

    /** libnvrtc-builtins.so.MAJOR[.MINOR] in the library's folder (the ".alt" variants are never chosen). */
    private static Path builtinsBeside(Path lib, int major) {
        List<Path> candidates = list(lib.getParent(), "libnvrtc-builtins.so");
        Path best = null;
        for (Path c : candidates) {
            String name = c.getFileName().toString();
            if (!Files.isRegularFile(c)) continue;
            if (major > 0 && !(name.equals("libnvrtc-builtins.so." + major) || name.startsWith("libnvrtc-builtins.so." + major + "."))) {
                continue;
            }
            if (best == null || name.length() > best.getFileName().toString().length()) best = c;
        }
        return best;
    }

    /** Every cuBLAS found (highest major first), or none when {@value #PROP_CUBLAS} is "off". */
    public List<Cublas> findCublas() {
        String override = props.getProperty(PROP_CUBLAS);
        List<Path> dirs;
        List<Cublas> found = new ArrayList<>();
        if (override != null && !override.isBlank()) {
            if (override.trim().equalsIgnoreCase("off")) return List.of();
            Path p = Path.of(override.trim());
            if (Files.isRegularFile(p)) return List.of(new Cublas(p, majorVersion(p)));
            dirs = List.of(p);
        } else {
            dirs = toolkitDirs();
        }
        for (Path dir : dirs) {
            for (Path lib : sonameFirst(list(dir, "libcublas.so"))) {
                if (CUBLAS.matcher(lib.getFileName().toString()).matches() && Files.isRegularFile(lib)) {
                    found.add(new Cublas(lib, majorVersion(lib)));
                }
            }
        }
        return dedupeByMajor(found, Cublas::major, c -> c.library().getParent());
    }

    /** nvcc: the property, then PATH, CUDA_HOME/bin, /usr/local/cuda/bin, /usr/local/cuda-X.Y/bin. */
    public Optional<Path> findNvcc() {
        String override = props.getProperty(PROP_NVCC);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override.trim());
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        Set<Path> dirs = new LinkedHashSet<>(splitPath(env.get("PATH")));
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) dirs.add(Path.of(v.trim()).resolve("bin"));
        }
        dirs.add(root.resolve("usr/local/cuda/bin"));
        for (Path p : sortedNewestFirst(list(root.resolve("usr/local"), "cuda-"))) dirs.add(p.resolve("bin"));
        for (Path d : dirs) {
            Path nvcc = d.resolve("nvcc");
            if (Files.isRegularFile(nvcc) && Files.isExecutable(nvcc)) return Optional.of(nvcc);
        }
        return Optional.empty();
    }

    /** Why no compiler was found, for availability messages. */
    public String compilerSearchDescription() {
        return "NVRTC not found and no nvcc on PATH; looked for libnvrtc.so.* in " + joined(toolkitDirsOrDefaults())
                + "; set -D" + PROP_NVRTC + "=/path/to/libnvrtc.so.N or -D" + PROP_NVCC + "=/path/to/nvcc";
    }

    private List<Path> toolkitDirsOrDefaults() {
        List<Path> d = toolkitDirs();
        if (!d.isEmpty()) return d;
        return List.of(root.resolve("usr/local/cuda/lib64"), root.resolve("usr/lib/x86_64-linux-gnu"));
    }

    // ------------------------------------------------------------------------------------------ python

    /**
     * site-packages / dist-packages folders of Python installations that may carry NVIDIA wheels: the active
     * virtualenv or conda env, the user's (~/.local, pyenv, miniconda, anaconda), the system's and /opt/conda.
     */
    List<Path> pythonSitePackages() {
        Set<Path> prefixes = new LinkedHashSet<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) prefixes.add(Path.of(v.trim()));
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) {
            Path h = Path.of(home.trim());
            prefixes.add(h.resolve(".local"));
            prefixes.addAll(list(h.resolve(".pyenv/versions"), ""));
            prefixes.add(h.resolve("miniconda3"));
            prefixes.add(h.resolve("anaconda3"));
            prefixes.add(h.resolve("miniforge3"));
        }
        prefixes.add(root.resolve("usr"));
        prefixes.add(root.resolve("usr/local"));
        prefixes.add(root.resolve("opt/conda"));
        List<Path> sites = new ArrayList<>();
        for (Path prefix : prefixes) {
            for (Path lib : List.of(prefix.resolve("lib"), prefix.resolve("lib64"))) {
                for (Path python : list(lib, "python3")) {
                    for (String kind : List.of("site-packages", "dist-packages")) {
                        Path site = python.resolve(kind);
                        if (Files.isDirectory(site)) sites.add(site);
                    }
                }
            }
        }
        return sites;
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static boolean isFile(String path) {
        return path != null && !path.isBlank() && Path.of(path.trim()).isAbsolute() && Files.isRegularFile(Path.of(path.trim()));
    }

    private List<Path> ldLibraryPath() {
        return splitPath(env.get("LD_LIBRARY_PATH"));
    }

    private static List<Path> splitPath(String value) {
        List<Path> out = new ArrayList<>();
        if (value == null) return out;
        for (String part : value.split(":")) {
            if (!part.isBlank()) out.add(Path.of(part.trim()));
        }
        return out;
    }

    /** Entries of dir whose name starts with prefix, sorted by name; empty if dir is missing. */
    private static List<Path> list(Path dir, String prefix) {
        if (dir == null || !Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }

    /** libx.so.12 before libx.so.12.4.5 before libx.so: the name the dynamic loader records comes first. */
    private static List<Path> sonameFirst(List<Path> libs) {
        List<Path> sorted = new ArrayList<>(libs);
        sorted.sort(Comparator.comparingInt((Path p) -> {
            String n = p.getFileName().toString();
            if (n.matches(".*\\.so\\.\\d+")) return 0;
            return n.endsWith(".so") ? 2 : 1;
        }));
        return sorted;
    }

    /** cuda-12.4, cuda-13.0, ...: the highest version first. */
    private static List<Path> sortedNewestFirst(List<Path> toolkits) {
        List<Path> sorted = new ArrayList<>(toolkits);
        sorted.sort(Comparator.comparing((Path p) -> versionKey(p.getFileName().toString())).reversed());
        return sorted;
    }

    private static String versionKey(String name) {
        StringBuilder key = new StringBuilder();
        for (String part : name.replaceAll("[^0-9.]", "").split("\\.")) {
            if (part.isEmpty()) continue;
            key.append(String.format("%06d", Integer.parseInt(part.length() > 6 ? part.substring(0, 6) : part)));
        }
        return key.toString();
    }

    /** The major version in a library's file name (libx.so.12.4.5 gives 12), or in its link target's; 0 if none. */
    static int majorVersion(Path lib) {
        Matcher m = VERSIONED.matcher(lib.getFileName().toString());
        if (m.matches()) return Integer.parseInt(m.group(1));
        try {
            Path real = lib.toRealPath();
            Matcher r = VERSIONED.matcher(real.getFileName().toString());
            if (r.matches()) return Integer.parseInt(r.group(1));
        } catch (IOException | SecurityException e) {
            // unversioned and unresolvable: unknown
        }
        return 0;
    }

    /** One entry per (folder, major version), keeping the first seen; sorted by major version, highest first. */
    private static <T> List<T> dedupeByMajor(List<T> found, java.util.function.ToIntFunction<T> major,
                                             java.util.function.Function<T, Path> folder) {
        List<T> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (T t : found) {
            if (seen.add(folder.apply(t) + "#" + major.applyAsInt(t))) out.add(t);
        }
        out.sort(Comparator.comparingInt(major).reversed());
        return out;
    }

    private static String joined(List<Path> dirs) {
        if (dirs.isEmpty()) return "(nowhere)";
        StringBuilder sb = new StringBuilder();
        for (Path d : dirs) {
            if (sb.length() > 0) sb.append(", ");
            sb.append(d);
        }
        return sb.toString();
    }
}
