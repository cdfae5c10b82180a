package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.descent.Activation;
import dev.descent.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import jcuda.CudaException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The GPU code path itself, JCuda's native binding and {@link JCudaDevice} unmodified, on the
 * emulated driver (native/emu/emulated_driver.cpp, a libcuda.so.1 that runs the kernels on the
 * CPU). {@link CudaEmulationTest} covers the backend through {@link EmulatedDevice}; only this
 * suite reaches module loading from the jar's PTX, JCuda's kernel-argument marshalling, device
 * pointers with byte offsets and the cuBLAS fallback without a GPU. The driver also checks each
 * PTX entry's parameter list against the kernel's C++ signature, and refuses copies and pointer
 * arguments outside live allocations.
 *
 * <p>Runs in the surefire execution {@code jcuda-on-emulated-driver}, which puts the driver on
 * LD_LIBRARY_PATH (it must be there before the JVM starts) and sets {@value #PROPERTY}.
 */
@Tag("emulated-driver")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmulatedDriverTest {
    /** What the emulated driver answers to cuDeviceGetName. */
    static final String DEVICE_NAME = "descent emulated driver (CPU)";
    static final String PROPERTY = "descent.cuda.emulated.driver";
    private static final String LIBRARY = System.getProperty(PROPERTY);
    private static int checks;

    @BeforeAll
    static void requireDriver() {
        Assumptions.assumeTrue(LIBRARY != null, "emulated-driver tests skipped: -D" + PROPERTY
                + " unset (mvn test runs them in the jcuda-on-emulated-driver execution)");
        boolean present = Files.isRegularFile(Path.of(LIBRARY));
        if (!present && System.getenv("CI") != null) {
            fail("emulated driver " + LIBRARY + " was not built (make -C native driver); CI must run these tests");
        }
        Assumptions.assumeTrue(present, "emulated-driver tests skipped: " + LIBRARY
                + " not built (needs g++: make -C native driver)");
        String description;
        try (CudaBackend probe = CudaBackend.open()) {
            description = probe.describe();
        }
        System.out.println("[emulated driver] " + description);
        assertTrue(description.startsWith(DEVICE_NAME), "JCuda bound to another libcuda.so.1 (LD_LIBRARY_PATH="
                + System.getenv("LD_LIBRARY_PATH") + "): " + description);
    }

    @AfterAll
    static void report() {
        System.out.println("[parity] cuda (JCuda on the emulated driver): " + checks
                + " comparisons against the double reference");
    }

    @Test
    @Order(1)
    void describesTheDriverAndFallsBackToTheOwnGemmWithoutCublas() {
        try (CudaBackend cuda = CudaBackend.open()) {
            String d = cuda.describe();
            assertTrue(d.contains("compute 7.5") && d.contains("CUDA driver 12.0"), d);
            // The build machine has no libcublas.so.12, so JCublas cannot load: the backend must say
            // so and use its own GEMM, which every parity check below then goes through.
            assertTrue(d.contains("GEMM: descent tiled SGEMM, variant 2 (cuBLAS unavailable: "), d);
            checks++;
        }
    }

    @Test
    @Order(2)
    void everyOpMatchesTheReference() {
        try (CudaBackend cuda = CudaBackend.open()) {
            checks += CudaChecks.everyOp(cuda, 51);
        }
    }

    @Test
    @Order(3)
    void everyOptimizerMatchesTheReferenceOverEightSteps() {
        try (CudaBackend cuda = CudaBackend.open()) {
            checks += CudaChecks.everyOptimizer(cuda, 52);
        }
    }

    @Test
    @Order(3)
    void overflowingUpdatesAreHeldBackAndHaltTraining(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        checks += CudaChecks.outputGuard(CudaBackend::open, dir);
    }

    @Test
    @Order(3)
    void misuseThrowsOrIsSerialisedNeverCrashes() throws Exception {
        checks += CudaChecks.misuse(() -> JCudaDevice.open(0));
    }

    @Test
    @Order(3)
    void predictorFromACheckpointMatchesTheCpu() {
        checks += dev.descent.PredictorChecks.matchesCpu(CudaBackend::open);
    }

    /**
     * Like a real driver, the emulated one keeps the current context per thread, so the test
     * below (a backend used from a second thread) would fail without JCudaDevice.makeCurrent.
     */
    @Test
    @Order(3)
    void aThreadWithoutTheContextIsRefusedByTheDriver() throws Exception {
        try (CudaBackend cuda = CudaBackend.open()) {
            jcuda.driver.JCudaDriver.setExceptionsEnabled(true);
            java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                Throwable refused = other.submit(() -> {
                    try {
                        jcuda.driver.JCudaDriver.cuMemAlloc(new jcuda.driver.CUdeviceptr(), 64);
                        return null;
                    } catch (jcuda.CudaException e) {
                        return e;
                    }
                }).get();
                assertTrue(refused != null && refused.getMessage().contains("CUDA_ERROR_INVALID_CONTEXT"),
                        "a call from a thread without the context: " + refused);
            } finally {
                other.shutdown();
            }
            checks++;
        }
    }

    @Test
    @Order(3)
    void aBackendOpenedOnOneThreadTrainsIdenticallyOnAnother() throws Exception {
        checks += CudaChecks.callsFromAnotherThread(CudaBackend::open);
    }

    @Test
    @Order(4)
    void shortTrainingRunMatchesTheCpuBackend() {
        checks += CudaChecks.shortTrainingMatchesCpu(CudaBackend::open);
    }

    @Test
    @Order(5)
    void thousandSessionsReturnDeviceMemoryToWhereItStarted() {
        try (CudaBackend cuda = CudaBackend.open()) {
            // bytesInUse is cuMemGetInfo here, as on a GPU.
            checks += CudaChecks.thousandSessions(cuda,
                    Model.builder(8).dense(16, Activation.RELU).dense(4, Activation.IDENTITY).build());
        }
    }

    @Test
    @Order(6)
    void aPointerOutsideDeviceMemoryIsAnExceptionNotACrash() {
        try (CudaBackend cuda = CudaBackend.open()) {
            CudaDevice device = cuda.device();
            DeviceMemory mem = device.malloc(64);
            int fill = device.function("fill_kernel");
            KernelArgs inside = new KernelArgs().ptr(mem, 0).l(16).f(2f);
            device.launch(fill, 1, 1, 32, inside);
            float[] back = new float[16];
            device.download(mem, 0, back, 0, 16);
            assertEquals(2f, back[15], "fill_kernel through JCuda wrote its value");
            // One megabyte past a 64-byte allocation: a real GPU would fault some time later; the
            // emulated driver refuses the launch, and JCuda turns that into a CudaException.
            KernelArgs outside = new KernelArgs().ptr(mem, 1 << 18).l(16).f(2f);
            CudaException e = assertThrows(CudaException.class, () -> device.launch(fill, 1, 1, 32, outside));
            assertTrue(e.getMessage().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), e.getMessage());
            device.free(mem);
            checks++;
        }
    }

    @Test
    @Order(7)
    void trainingStepsOnlyLaunchKernels() {
        checks += CudaChecks.stepsStayOnTheDevice(JCudaDevice.open(0));
    }
}
