package org.racro4j.core;

import java.util.Objects;

/**
 * A place tensors live: a backend kind ("cpu", "cuda") and an index. Parsed from names such as "cpu",
 * "cuda" (= "cuda:0") and "cuda:1". Opening a device that cannot be used raises
 * {@link BackendUnavailableException} with the reason.
 */
public final class Device {
    public static final Device CPU = new Device("cpu", 0);

    private final String kind;
    private final int index;

    private Device(String kind, int index) {
        this.kind = kind;
        this.index = index;
    }

    public static Device of(String name) {
        Objects.requireNonNull(name, "device name");
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = n.indexOf(':');
        String kind = colon < 0 ? n : n.substring(0, colon);
        int index = 0;
        if (colon >= 0) {
            try {
                index = Integer.parseInt(n.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device '" + name + "': expected KIND or KIND:INDEX, e.g. cpu or cuda:0");
            }
        }
        if (kind.isEmpty() || index < 0) {
            throw new IllegalArgumentException("device '" + name + "': expected KIND or KIND:INDEX, e.g. cpu or cuda:0");
        }
        if (kind.equals("cpu")) {
            if (index != 0) throw new IllegalArgumentException("device '" + name + "': there is one cpu device, cpu:0");
            return CPU;
        }
        return new Device(kind, index);
    }

    public String kind() {
        return kind;
    }

    public int index() {
        return index;
    }

    public boolean isCpu() {
        return this == CPU || kind.equals("cpu");
    }

    /** The backend that runs this device, opened on first use. */
    public Backend backend() {
        return Backends.open(this);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.kind.equals(kind) && d.index == index;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + index;
    }

    @Override
    public String toString() {
        return kind.equals("cpu") ? "cpu" : kind + ":" + index;
    }
}
