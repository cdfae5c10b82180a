package dev.descent.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aparapi.device.Device;
import dev.descent.Backend;
import dev.descent.BackendSuite;
import org.junit.jupiter.api.Test;

/**
 * The backend contract with the work geometry of the other kind of device: on PoCL (CI's CPU
 * device) that is the GPU geometry, one element per work-item and the 16x16 local-memory tiled
 * GEMM, code that otherwise runs only on a GPU; on a GPU it is the CPU geometry's spans and row
 * GEMM. With {@link OpenClParityTest}, both geometries pass the whole contract on one device.
 */
class OpenClOtherGeometryParityTest extends BackendSuite {
    @Override
    protected String prepare() {
        return OpenClParityTest.probeOpenCl();
    }

    @Override
    protected Backend open() {
        com.aparapi.device.OpenCLDevice device = OpenClDevices.choose();
        return new OpenClBackend(device, device.getType() != Device.TYPE.CPU);
    }

    @Override
    protected String label() {
        return "opencl (other device kind's work geometry)";
    }

    @Override
    protected boolean confinedToOpeningThread() {
        return true;
    }

    @Test
    void theOtherGeometryIsTheOneInUse() {
        try (Backend be = open()) {
            assertTrue(be.describe().contains("work geometry"), be.describe());
            count(1);
        }
    }
}
