package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.descent.Activation;
import dev.descent.Control;
import dev.descent.Model;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The real {@link CudaBackend} (launch geometry, argument packing, arena offsets, reductions,
 * the control block) running every kernel of kernels/cuda on the CPU through the emulation
 * library. Runs in CI on every push; the GPU suite ({@code CudaGpuTest}) runs the same harness
 * on hardware. The last test checks every kernel in the library was launched.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CudaEmulationTest {
    private static final String LIBRARY = System.getProperty("descent.cuda.emulator.test", "native/build/libdescent_cuda_emu.so");
    private static int checks;

    @BeforeAll
    static void requireEmulator() {
        boolean present = Files.isRegularFile(Path.of(LIBRARY));
        if (!present && System.getenv("CI") != null) {
            fail("CUDA emulation library " + LIBRARY + " was not built (make -C native emu); CI must run these tests");
        }
        Assumptions.assumeTrue(present, "CUDA emulation tests skipped: " + LIBRARY
                + " not built (needs g++ and JDK headers: make -C native emu)");
        System.setProperty(EmulatedDevice.PROPERTY, LIBRARY);
    }

    @AfterAll
    static void report() {
        System.clearProperty(EmulatedDevice.PROPERTY);
        System.out.println("[parity] cuda (CPU emulation): " + checks + " comparisons against the double reference");
    }

    private static CudaBackend backend() {
        return new CudaBackend(EmulatedDevice.open());
    }

    @Test
    @Order(1)
    void controlSlotsInTheKernelsMatchControlJava() throws Exception {
        String header = Files.readString(Path.of("kernels/cuda/common.cuh"));
        Matcher m = Pattern.compile("#define SLOT_([A-Z_]+) (\\d+)").matcher(header);
        int seen = 0;
        while (m.find()) {
            Field f = Control.class.getField(m.group(1));
            assertEquals(f.getInt(null), Integer.parseInt(m.group(2)), "slot " + m.group(1));
            seen++;
        }
        assertEquals(Control.SIZE, seen, "every control slot is defined for the kernels");
        Matcher r = Pattern.compile("#define REDUCE_BLOCKS (\\d+)").matcher(header);
        assertTrue(r.find());
        assertEquals(CudaLaunches.REDUCE_BLOCKS, Integer.parseInt(r.group(1)));
        for (Activation a : Activation.values()) {
            assertTrue(header.contains("#define ACT_" + a.name() + " " + a.ordinal()), "activation code " + a);
        }
    }

    @Test
    @Order(2)
    void everyOpMatchesTheReference() {
        try (CudaBackend cuda = backend()) {
            checks += CudaChecks.everyOp(cuda, 31);
        }
    }

    @Test
    @Order(3)
    void everyOptimizerMatchesTheReferenceOverEightSteps() {
        try (CudaBackend cuda = backend()) {
            checks += CudaChecks.everyOptimizer(cuda, 32);
        }
    }

    /** Variant 2 is the default; variant 1 stays in the harness (every GEMM shape and transpose). */
    @Test
    @Order(2)
    void everyOpMatchesTheReferenceWithSgemmVariantOne() {
        try (CudaBackend cuda = new CudaBackend(EmulatedDevice.open(), "tiled1")) {
            assertTrue(cuda.describe().contains("variant 1"), cuda.describe());
            checks += CudaChecks.everyOp(cuda, 43);
        }
    }

    @Test
    @Order(3)
    void overflowingUpdatesAreHeldBackAndHaltTraining(@org.junit.jupiter.api.io.TempDir Path dir) {
        checks += CudaChecks.outputGuard(CudaEmulationTest::backend, dir);
    }

    @Test
    @Order(3)
    void misuseThrowsOrIsSerialisedNeverCrashes() throws Exception {
        checks += CudaChecks.misuse(EmulatedDevice::open);
    }

    @Test
    @Order(3)
    void predictorFromACheckpointMatchesTheCpu() {
        checks += dev.descent.PredictorChecks.matchesCpu(CudaEmulationTest::backend);
    }

    @Test
    @Order(3)
    void aBackendOpenedOnOneThreadTrainsIdenticallyOnAnother() throws Exception {
        checks += CudaChecks.callsFromAnotherThread(CudaEmulationTest::backend);
    }

    @Test
    @Order(4)
    void shortTrainingRunMatchesTheCpuBackend() {
        checks += CudaChecks.shortTrainingMatchesCpu(CudaEmulationTest::backend);
    }

    @Test
    @Order(5)
    void thousandSessionsReturnDeviceMemoryToWhereItStarted() {
        try (CudaBackend cuda = backend()) {
            checks += CudaChecks.thousandSessions(cuda,
                    Model.builder(8).dense(16, Activation.RELU).dense(4, Activation.IDENTITY).build());
        }
    }

    @Test
    @Order(7)
    void everyKernelWasLaunched() {
        Map<String, Long> counts = EmulatedDevice.launchCounts();
        System.out.println("[emulation] " + counts.size() + " kernels, launches: " + counts);
        assertEquals(19, counts.size(), "kernels in the emulation library (one per extern \"C\" __global__)");
        counts.forEach((name, n) -> assertTrue(n > 0, "kernel " + name + " was never launched"));
    }

    @Test
    @Order(6)
    void trainingStepsOnlyLaunchKernels() {
        checks += CudaChecks.stepsStayOnTheDevice(EmulatedDevice.open());
    }
}
