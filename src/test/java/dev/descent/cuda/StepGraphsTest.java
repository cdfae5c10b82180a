package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backend;
import dev.descent.BackendOptions;
import dev.descent.Backends;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link StepGraphsSuite} through JCuda on the emulated driver, which builds, updates and launches
 * graphs under the driver's rules (native/emu/emulated_graphs.cpp; its refusals are checked in
 * {@link EmulatedDriverTest}).
 */
@Tag("emulated-driver")
class StepGraphsTest extends StepGraphsSuite {

    @Override
    protected String prepare() {
        return EmulatedDriverTest.driverUnavailable();
    }

    @Override
    protected String label() {
        return "cuda (JCuda on the emulated driver, CUDA Graphs on)";
    }

    @Override
    protected CudaDevice openDevice(boolean graphs) {
        return JCudaDevice.open(0, graphs);
    }

    /** The typed option (and so -Ddescent.cuda.graphs, which defaults() reads) reaches the device. */
    @Test
    @Order(8)
    void theOptionTurnsGraphsOnAndOff() {
        try (Backend on = Backends.open("cuda", BackendOptions.defaults().withCudaGraphs(true));
             Backend off = Backends.open("cuda", BackendOptions.defaults().withCudaGraphs(false))) {
            assertTrue(((CudaBackend) on).device().graphs() != null, on.describe());
            assertTrue(on.describe().contains("CUDA Graphs on"), on.describe());
            assertTrue(((CudaBackend) off).device().graphs() == null, off.describe());
            assertFalse(off.describe().contains("Graphs"), off.describe());
        }
        assertFalse(new BackendOptions(null, 0, "auto", false).cudaGraphs(), "the four-setting constructor");
        count(4);
    }
}
