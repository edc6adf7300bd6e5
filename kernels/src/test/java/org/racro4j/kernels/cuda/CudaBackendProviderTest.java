package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.racro4j.core.BackendProvider;
import org.racro4j.core.BackendUnavailableException;
import org.racro4j.core.Backends;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;

/** The provider is found by ServiceLoader, and without a driver it says why and leaves the CPU working. */
class CudaBackendProviderTest {
    @TempDir
    Path emptyRoot;

    @Test
    void serviceLoaderFindsTheCudaProvider() {
        BackendProvider p = Backends.provider("cuda");
        assertNotNull(p, "META-INF/services must register CudaBackendProvider");
        assertTrue(p instanceof CudaBackendProvider);
        assertNotNull(Backends.provider("cpu"));
    }

    @Test
    void noDriverMeansUnavailableWithTheSearchedFolders() {
        CudaLibraries nothing = new CudaLibraries(emptyRoot, Map.of(), new Properties());
        BackendProvider.Availability a = CudaBackendProvider.probe(nothing);
        assertFalse(a.available());
        assertEquals(0, a.deviceCount());
        assertTrue(a.description().startsWith("libcuda.so.1 not found (no NVIDIA driver); looked in "), a.description());
    }

    @Test
    void thisMachineWithoutAGpu() {
        assumeTrue(CudaLibraries.system().findDriver().isEmpty(), "this machine has libcuda.so.1; the no-driver path is tested above");
        BackendProvider.Availability a = new CudaBackendProvider().availability();
        assertFalse(a.available());
        assertTrue(a.description().contains("libcuda.so.1 not found"), a.description());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Tensor.zeros(
                org.racro4j.core.DType.F32, Device.of("cuda"), 2));
        assertTrue(e.getMessage().contains("libcuda.so.1 not found"), e.getMessage());
        // No GPU, no change: the CPU backend works as before.
        assertEquals(6f, Tensor.of(new float[] {1, 2, 3}, 3).sum().item());
    }
}
