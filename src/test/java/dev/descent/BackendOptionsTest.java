package dev.descent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Typed backend settings: validated, and they reach the backend without system properties. */
class BackendOptionsTest {

    @Test
    void badValuesAreRefusedByName() {
        IllegalArgumentException gemm = assertThrows(IllegalArgumentException.class,
                () -> BackendOptions.defaults().withCudaGemm("fast"));
        assertTrue(gemm.getMessage().contains("cudaGemm must be one of auto, cublas, tiled, tiled1, tiled2, tiled3; got 'fast'"),
                gemm.getMessage());
        IllegalArgumentException device = assertThrows(IllegalArgumentException.class,
                () -> BackendOptions.defaults().withCudaDevice(-1));
        assertTrue(device.getMessage().contains("cudaDevice must be >= 0, got -1"), device.getMessage());
    }

    @Test
    void theOpenClDeviceIsChosenByTheOption() {
        Assumptions.assumeTrue(Backends.probe("opencl").available(), "no OpenCL device here");
        BackendOptions nowhere = BackendOptions.defaults().withOpenClDevice("no such device");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.open("opencl", nowhere));
        assertTrue(e.getMessage().contains("no device matches 'no such device'"), e.getMessage());
        try (Backend first = Backends.open("opencl", BackendOptions.defaults().withOpenClDevice("0"))) {
            assertEquals("opencl", first.name());
        }
    }
}
