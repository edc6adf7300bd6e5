package org.racro4j.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of backend providers (found with ServiceLoader) and of opened devices. */
public final class Backends {
    private static final Map<Device, Backend> OPEN = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;

    private Backends() {}

    public static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            synchronized (Backends.class) {
                if (providers == null) {
                    List<BackendProvider> found = new ArrayList<>();
                    for (BackendProvider bp : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
                        found.add(bp);
                    }
                    providers = List.copyOf(found);
                }
                p = providers;
            }
        }
        return p;
    }

    public static BackendProvider provider(String kind) {
        for (BackendProvider p : providers()) {
            if (p.kind().equals(kind)) return p;
        }
        return null;
    }

    static Backend open(Device device) {
        Backend b = OPEN.get(device);
        if (b != null) return b;
        synchronized (Backends.class) {
            b = OPEN.get(device);
            if (b != null) return b;
            BackendProvider p = provider(device.kind());
            if (p == null) {
                String hint = device.kind().equals("cuda")
                        ? "the CUDA backend (module racro4j-kernels) is not on the class path"
                        : "no backend of kind '" + device.kind() + "' is installed (known: " + knownKinds() + ")";
                throw new BackendUnavailableException("device " + device + " is unavailable: " + hint);
            }
            BackendProvider.Availability a = p.availability();
            if (!a.available()) {
                throw new BackendUnavailableException("device " + device + " is unavailable: " + a.description());
            }
            if (device.index() >= a.deviceCount()) {
                throw new BackendUnavailableException("device " + device + " is unavailable: this machine has "
                        + a.deviceCount() + " " + device.kind() + " device(s)");
            }
            b = p.open(device.index());
            OPEN.put(device, b);
            return b;
        }
    }

    private static String knownKinds() {
        List<String> kinds = new ArrayList<>();
        for (BackendProvider p : providers()) kinds.add(p.kind());
        return String.join(", ", kinds);
    }
}
