package org.racro4j.core.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Shapes;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;

/**
 * A layer or model: named parameters (trainable), buffers (saved, not trained) and child modules. Names join
 * with dots ("layers.0.mlp.up_proj.weight"), matching PyTorch and Hugging Face state dicts, so checkpoints
 * load by name. A module owns its tensors: {@link #close()} frees them.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a trainable tensor; it leaves any scope (the module owns it) and requires grad. */
    protected Tensor registerParameter(String name, Tensor t) {
        checkName(name);
        Scope.escape(t);
        t.requiresGrad(true);
        parameters.put(name, t);
        return t;
    }

    /** Registers a saved, non-trainable tensor (e.g. running statistics, rotary tables). */
    protected Tensor registerBuffer(String name, Tensor t) {
        checkName(name);
        Scope.escape(t);
        buffers.put(name, t);
        return t;
    }

    protected <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module: bad name '" + name + "'");
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("module: name '" + name + "' is already registered");
        }
    }

    /** Trainable tensors by dotted name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false);
        return out;
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters and buffers by dotted name: what is saved and loaded. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withBuffers) {
        parameters.forEach((k, v) -> out.put(prefix + k, v));
        if (withBuffers) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, withBuffers));
    }

    public Map<String, Module> children() {
        return java.util.Collections.unmodifiableMap(children);
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) n += t.numel();
        return n;
    }

    /**
     * Copies tensors by name into this module's parameters and buffers, converting dtype and device. With
     * {@code strict}, a missing, unexpected or mis-shaped tensor is an error that names them all.
     */
    public void loadStateDict(Map<String, Tensor> source, boolean strict) {
        Map<String, Tensor> own = stateDict();
        Set<String> missing = new TreeSet<>(own.keySet());
        missing.removeAll(source.keySet());
        Set<String> unexpected = new TreeSet<>(source.keySet());
        unexpected.removeAll(own.keySet());
        List<String> misshaped = new ArrayList<>();
        for (var e : own.entrySet()) {
            Tensor src = source.get(e.getKey());
            if (src != null && !Arrays.equals(src.shape(), e.getValue().shape())) {
                misshaped.add(e.getKey() + ": expected " + Shapes.str(e.getValue().shape()) + ", got " + Shapes.str(src.shape()));
            }
        }
        if (!misshaped.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            StringBuilder sb = new StringBuilder("state dict does not fit " + getClass().getSimpleName() + ":");
            if (!missing.isEmpty()) sb.append("\n  missing: ").append(String.join(", ", missing));
            if (!unexpected.isEmpty()) sb.append("\n  unexpected: ").append(String.join(", ", unexpected));
            for (String m : misshaped) sb.append("\n  wrong shape: ").append(m);
            throw new IllegalArgumentException(sb.toString());
        }
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (var e : own.entrySet()) {
                Tensor src = source.get(e.getKey());
                if (src != null) e.getValue().copyFrom(src);
            }
        }
    }

    /** Writes the state dict to a safetensors file (atomically: temporary file, then rename). */
    public void save(Path path) throws IOException {
        Safetensors.write(path, stateDict(), Map.of("format", "pt"));
    }

    /** Loads a state dict saved by {@link #save} (or by PyTorch's safetensors) with strict name checks. */
    public void load(Path path) throws IOException {
        try (Safetensors.Reader r = Safetensors.open(path)) {
            Map<String, Tensor> loaded = new LinkedHashMap<>();
            try {
                for (String name : r.names()) loaded.put(name, r.load(name));
                loadStateDict(loaded, true);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
            } finally {
                loaded.values().forEach(Tensor::close);
            }
        }
    }

    /** Moves every parameter and buffer to a device and floating dtype (integer buffers keep theirs). */
    public Module to(Device device, DType floatType) {
        try (Autograd.Mode off = Autograd.noGrad()) {
            for (Tensor t : stateDict().values()) {
                DType target = t.dtype().isFloatingPoint() ? floatType : t.dtype();
                if (t.device().equals(device) && t.dtype() == target) continue;
                Tensor moved = Scope.unscoped(() -> {
                    Tensor onDevice = t.to(device);
                    Tensor cast = onDevice.to(target);
                    if (onDevice != t && onDevice != cast) onDevice.close();   // the intermediate copy
                    return cast;
                });
                t.setData(moved);
                moved.close();
            }
        }
        return this;
    }

    public Module train(boolean on) {
        this.training = on;
        children.values().forEach(c -> c.train(on));
        return this;
    }

    public boolean isTraining() {
        return training;
    }

    public void zeroGrad() {
        for (Tensor t : parameters()) t.zeroGrad();
    }

    /** Frees parameters, their gradients, and buffers. */
    @Override
    public void close() {
        for (Tensor t : stateDict().values()) {
            t.zeroGrad();
            t.close();
        }
    }
}
