package org.racro4j.core.cpu;

import org.racro4j.core.Backend;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;

/** Registers the CPU backend (device "cpu"). */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String kind() {
        return "cpu";
    }

    @Override
    public Availability availability() {
        return new Availability(true, 1, Parallel.threads() + " thread(s), " + VectorApi.describe());
    }

    @Override
    public Backend open(int index) {
        if (index != 0) throw new BackendUnavailableException("cpu:" + index + " does not exist; use cpu");
        return CpuBackend.INSTANCE;
    }
}
