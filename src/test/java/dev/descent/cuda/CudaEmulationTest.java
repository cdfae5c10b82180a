package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.BackendParity;
import dev.descent.Control;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.OptimizerParity;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Tolerances;
import dev.descent.Trainer;
import dev.descent.TrainingReport;
import dev.descent.cpu.CpuBackend;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
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
            int n = new BackendParity(cuda, 31).runAllOps();
            assertEquals(expectedOpChecks(), n);
            checks += n;
        }
    }

    /** Same table arithmetic as the CPU parity test. */
    static int expectedOpChecks() {
        return dev.descent.cpu.CpuParityAccess.expectedOpChecks();
    }

    @Test
    @Order(3)
    void everyOptimizerMatchesTheReferenceOverEightSteps() {
        try (CudaBackend cuda = backend()) {
            int n = OptimizerParity.run(cuda, 32);
            assertEquals(OptimizerParity.expectedChecks(), n);
            checks += n;
        }
    }

    @Test
    @Order(4)
    void shortTrainingRunMatchesTheCpuBackend() {
        Random r = new Random(5);
        int rows = 96;
        float[] x = new float[rows * 6];
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(3);
            for (int c = 0; c < 6; c++) {
                x[i * 6 + c] = (float) (r.nextGaussian() * 0.5 + (c % 3 == y[i] ? 1.5 : 0));
            }
        }
        Dataset data = Dataset.classification(x, rows, 6, y, 3);
        Model model = Model.builder(6).dense(13, Activation.GELU).dense(3, Activation.IDENTITY).build();
        float[][] params = new float[2][];
        double[] acc = new double[2];
        Backend[] backends = {backend(), new CpuBackend()};
        for (int b = 0; b < 2; b++) {
            try (Backend be = backends[b]; Session s = Session.create(model, be, Adam.adam(0.02), 16, 4);
                 DeviceDataset d = s.upload(data)) {
                TrainingReport report = new Trainer(s, new Trainer.Config(3, 16, 0.02, 4, Schedule.CONSTANT, true))
                        .fit(d, d, null);
                params[b] = s.parameters();
                acc[b] = report.last().heldOutAccuracy();
            }
        }
        double err = Tolerances.relativeL2(params[0], params[1]);
        assertTrue(err < Tolerances.TRAINING, "cuda (emulated) vs cpu parameters after 18 steps: " + err);
        assertEquals(acc[1], acc[0], 0.02, "accuracy");
        checks++;
    }

    @Test
    @Order(5)
    void thousandSessionsReturnDeviceMemoryToWhereItStarted() {
        try (CudaBackend cuda = backend()) {
            Model model = Model.builder(8).dense(16, Activation.RELU).dense(4, Activation.IDENTITY).build();
            long before = cuda.device().bytesInUse();
            for (int i = 0; i < 1000; i++) {
                Session s = Session.create(model, cuda, Adam.adam(1e-3).withAmsgrad(true), 32, i);
                s.close();
            }
            assertEquals(before, cuda.device().bytesInUse(), "device bytes after 1000 sessions");
            checks++;
        }
    }

    @Test
    @Order(6)
    void everyKernelWasLaunched() {
        Map<String, Long> counts = EmulatedDevice.launchCounts();
        System.out.println("[emulation] " + counts.size() + " kernels, launches: " + counts);
        assertEquals(18, counts.size(), "kernels in the emulation library (one per extern \"C\" __global__)");
        counts.forEach((name, n) -> assertTrue(n > 0, "kernel " + name + " was never launched"));
    }
}
