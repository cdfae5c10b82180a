package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.Trainer;
import dev.descent.TrainingReport;
import dev.descent.cpu.CpuBackend;
import dev.descent.data.DataSources;
import dev.descent.optim.Adam;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The parity suite on a real NVIDIA GPU: every op, every optimizer configuration over 8 steps,
 * device memory across 1,000 sessions, training steps that only launch kernels, and the default
 * training run against the CPU backend.
 * Skips, with the reason, where no GPU can be opened.
 */
@Tag("gpu")
class CudaGpuTest {
    private static String unavailable;
    private static int checks;

    @BeforeAll
    static void openGpu() {
        try (CudaBackend probe = CudaBackend.open()) {
            if (probe.describe().startsWith(EmulatedDriverTest.DEVICE_NAME)) {
                unavailable = "libcuda.so.1 on LD_LIBRARY_PATH is descent's emulated driver, not a GPU";
            } else {
                System.out.println("[gpu] " + probe.describe());
            }
        } catch (IllegalStateException e) {
            unavailable = e.getMessage();
        }
        if (unavailable != null) {
            System.out.println("[gpu] CUDA GPU tests skipped: " + unavailable);
        }
    }

    /** Per test, so each one is reported as skipped (with the reason) rather than silently absent. */
    @BeforeEach
    void requireGpu() {
        Assumptions.assumeTrue(unavailable == null, "CUDA GPU tests skipped: " + unavailable);
    }

    @AfterAll
    static void report() {
        if (unavailable == null) {
            System.out.println("[parity] cuda (GPU): " + checks + " comparisons against the double reference");
        }
    }

    @Test
    void everyOpMatchesTheReference() {
        try (CudaBackend cuda = CudaBackend.open()) {
            checks += CudaChecks.everyOp(cuda, 41);
        }
    }

    /** descent's own SGEMM variants, whichever GEMM the suite otherwise uses. */
    @Test
    void everyOpMatchesTheReferenceWithEachOwnSgemmVariant() {
        for (String variant : new String[] {"tiled1", "tiled2"}) {
            try (CudaBackend cuda = new CudaBackend(JCudaDevice.open(Integer.getInteger("descent.cuda.device", 0)), variant)) {
                checks += CudaChecks.everyOp(cuda, 44);
            }
        }
    }

    @Test
    void everyOptimizerMatchesTheReferenceOverEightSteps() {
        try (CudaBackend cuda = CudaBackend.open()) {
            checks += CudaChecks.everyOptimizer(cuda, 42);
        }
    }

    @Test
    void thousandSessionsReturnDeviceMemoryToWhereItStarted() {
        try (CudaBackend cuda = CudaBackend.open()) {
            checks += CudaChecks.thousandSessions(cuda,
                    Model.builder(784).dense(256, Activation.RELU).dense(10, Activation.IDENTITY).build());
        }
    }

    @Test
    void overflowingUpdatesAreHeldBackAndHaltTraining(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        checks += CudaChecks.outputGuard(CudaBackend::open, dir);
    }

    @Test
    void misuseThrowsOrIsSerialisedNeverCrashes() throws Exception {
        checks += CudaChecks.misuse(() -> JCudaDevice.open(Integer.getInteger("descent.cuda.device", 0)));
    }

    @Test
    void predictorFromACheckpointMatchesTheCpu() {
        checks += dev.descent.PredictorChecks.matchesCpu(CudaBackend::open);
    }

    @Test
    void shortTrainingRunMatchesTheCpuBackend() {
        checks += CudaChecks.shortTrainingMatchesCpu(CudaBackend::open);
    }

    @Test
    void aBackendOpenedOnOneThreadTrainsIdenticallyOnAnother() throws Exception {
        checks += CudaChecks.callsFromAnotherThread(CudaBackend::open);
    }

    @Test
    void trainingStepsOnlyLaunchKernels() {
        checks += CudaChecks.stepsStayOnTheDevice(JCudaDevice.open(Integer.getInteger("descent.cuda.device", 0)));
    }

    /**
     * Two float32 runs that differ only in summation order and FMA contraction (the GPU's GEMM
     * against the CPU's) follow different trajectories after a few hundred steps, so their
     * accuracies differ like two independently good models: about one percentage point on the
     * 2,000 held-out rows. The bound is that, not a check of equality.
     */
    static final double ACCURACY_SPREAD = 0.01;

    @Test
    void defaultTrainingRunMatchesTheCpuAccuracy() {
        DataSources.Split split = DataSources.embedded();
        Model model = Model.builder(784).dense(256, Activation.RELU).dense(128, Activation.RELU)
                .dense(10, Activation.IDENTITY).build();
        double[] accuracy = new double[2];
        Backend[] backends = {CudaBackend.open(), new CpuBackend()};
        for (int b = 0; b < 2; b++) {
            try (Backend be = backends[b]; Session s = Session.create(model, be, Adam.adam(1e-3), 64, 42);
                 DeviceDataset train = s.upload(split.train()); DeviceDataset held = s.upload(split.heldOut())) {
                TrainingReport r = new Trainer(s, new Trainer.Config(10, 64, 42, Schedule.CONSTANT, true))
                        .fit(train, held, null);
                accuracy[b] = r.last().heldOutAccuracy();
            }
        }
        System.out.printf("[gpu] held-out accuracy after 10 epochs: cuda %.4f, cpu %.4f%n", accuracy[0], accuracy[1]);
        assertTrue(Math.abs(accuracy[0] - accuracy[1]) <= ACCURACY_SPREAD, "cuda " + accuracy[0] + " vs cpu " + accuracy[1]);
        checks++;
    }
}
