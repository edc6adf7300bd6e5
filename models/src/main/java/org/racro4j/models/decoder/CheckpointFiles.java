package org.racro4j.models.decoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;
import org.racro4j.core.cpu.CpuStorage;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.io.StrictJson;

/**
 * The weight files of a Hugging Face model directory: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json} ("weight_map": name → file). Loads tensors by name into a module's
 * state dict with checks that name the file and the tensor.
 */
public final class CheckpointFiles {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private CheckpointFiles() {}

    /** Tensor name → the file that holds it. */
    public static Map<String, Path> weightMap(Path dir) throws IOException {
        Path single = dir.resolve(SINGLE);
        Path index = dir.resolve(INDEX);
        Map<String, Path> map = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            JsonNode root;
            try {
                // Strict: a tensor listed twice in weight_map would otherwise silently come from the last shard named.
                root = StrictJson.parse(Files.readAllBytes(index));
            } catch (StrictJson.Problem p) {
                throw new IOException(index + ": " + p.getMessage(), p);
            }
            JsonNode wm = root == null ? null : root.get("weight_map");
            if (wm == null || !wm.isObject()) throw new IOException(index + ": missing \"weight_map\" object");
            for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new IOException(index + ": weight_map gives tensor '" + e.getKey() + "' the file " + e.getValue() + ", not a file name");
                }
                Path shard = dir.resolve(e.getValue().asText());
                if (!Files.isRegularFile(shard)) {
                    throw new IOException(index + ": tensor '" + e.getKey() + "' is in " + e.getValue().asText() + ", which does not exist");
                }
                map.put(e.getKey(), shard);
            }
        } else if (Files.isRegularFile(single)) {
            try (Safetensors.Reader r = Safetensors.open(single)) {
                for (String n : r.names()) map.put(n, single);
            }
        } else {
            throw new IOException(dir + ": no " + SINGLE + " or " + INDEX + " found");
        }
        return map;
    }

    /** Whether a file's tensor of {@code stored} dtype can be mapped into dst: a whole CPU storage of that dtype, BF16 or F16. */
    private static boolean mappable(Tensor dst, DType stored) {
        return dst.storage() instanceof CpuStorage && dst.dtype() == stored && (stored == DType.BF16 || stored == DType.F16)
                && dst.isContiguous() && dst.offset() == 0 && dst.numel() == dst.storage().numel();
    }

    /** Tensor name → shape, from the headers alone (no weight is read). */
    public static Map<String, int[]> shapes(Path dir) throws IOException {
        Map<Path, List<String>> byFile = new LinkedHashMap<>();
        weightMap(dir).forEach((name, file) -> byFile.computeIfAbsent(file, f -> new ArrayList<>()).add(name));
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (var e : byFile.entrySet()) {
            try (Safetensors.Reader r = Safetensors.open(e.getKey())) {
                java.util.Set<String> inFile = new java.util.HashSet<>(r.names());
                for (String name : e.getValue()) {
                    if (!inFile.contains(name)) {
                        throw new IOException(dir.resolve(INDEX) + ": tensor '" + name + "' is listed in " + e.getKey().getFileName()
                                + ", which has no such tensor");
                    }
                    shapes.put(name, r.entry(name).shape());
                }
            }
        }
        return shapes;
    }

    /**
     * The dtype the checkpoint's weights are stored in, as its safetensors header gives it for the token embeddings
     * (config.json's torch_dtype is advice, and newer transformers call it dtype): what a frozen model loads as, so
     * that no wider copy of its weights is made.
     */
    public static DType storedDtype(Path dir) throws IOException {
        String embeddings = "model.embed_tokens.weight";
        Path file = weightMap(dir).get(embeddings);
        if (file == null) throw new IOException(dir + ": the checkpoint has no " + embeddings);
        try (Safetensors.Reader r = Safetensors.open(file)) {
            return r.entry(embeddings).dtype();
        }
    }

    /**
     * Copies every tensor of the checkpoint into {@code target} (a state dict: name → destination tensor),
     * converting dtype and device. Names in {@code ignorable} may be absent from target (they are skipped).
     * Missing, unexpected or mis-shaped tensors raise an IOException naming them and their files.
     */
    public static void load(Path dir, Map<String, Tensor> target, java.util.function.Predicate<String> ignorable) throws IOException {
        load(dir, target, ignorable, false);
    }

    /**
     * {@link #load}, with {@code map}: a BF16/F16 tensor whose target is a whole CPU storage of its dtype is not copied
     * but mapped ({@link CpuStorage#map}): read in place from the file, read-only, costing no heap. Other tensors are
     * copied as load does.
     */
    public static void load(Path dir, Map<String, Tensor> target, java.util.function.Predicate<String> ignorable, boolean map)
            throws IOException {
        Map<String, Path> files = weightMap(dir);
        TreeSet<String> missing = new TreeSet<>(target.keySet());
        missing.removeAll(files.keySet());
        List<String> problems = new ArrayList<>();
        for (String m : missing) problems.add("missing tensor '" + m + "'");
        Map<Path, List<String>> byFile = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            if (!target.containsKey(e.getKey())) {
                if (!ignorable.test(e.getKey())) problems.add(e.getValue().getFileName() + ": unexpected tensor '" + e.getKey() + "'");
                continue;
            }
            byFile.computeIfAbsent(e.getValue(), p -> new ArrayList<>()).add(e.getKey());
        }
        for (var e : byFile.entrySet()) {
            try (Safetensors.Reader r = Safetensors.open(e.getKey())) {
                for (String name : e.getValue()) {
                    int[] want = target.get(name).shape();
                    int[] got = r.entry(name).shape();
                    if (!Arrays.equals(want, got)) {
                        problems.add(e.getKey().getFileName() + ": tensor '" + name + "' has shape " + Shapes.str(got)
                                + ", the config needs " + Shapes.str(want));
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException(dir + ": checkpoint does not match config.json:\n  " + String.join("\n  ", problems));
        }
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (var e : byFile.entrySet()) {
                try (Safetensors.Reader r = Safetensors.open(e.getKey())) {
                    for (String name : e.getValue()) {
                        Tensor dst = target.get(name);
                        if (map && mappable(dst, r.entry(name).dtype())) {
                            ((CpuStorage) dst.storage()).map(r.mapBits(name));
                            continue;
                        }
                        try (Tensor t = r.load(name)) {
                            dst.copyFrom(t);
                        }
                    }
                }
            }
        }
    }
}
