package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.BackendParity;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.OptimizerParity;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.StepProbe;
import dev.descent.Trainer;
import dev.descent.TrainingParity;
import dev.descent.cpu.CpuParityAccess;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The checks every CUDA suite runs, whatever serves the device: the emulator behind
 * {@link EmulatedDevice}, JCuda on the emulated driver, or JCuda on a GPU. Each returns the
 * number of comparisons it made, for the suite's printed count.
 */
final class CudaChecks {
    private CudaChecks() {}

    /** Every op of the backend contract on random ragged shapes against the double reference. */
    static int everyOp(CudaBackend cuda, long seed) {
        int n = new BackendParity(cuda, seed).runAllOps();
        assertEquals(CpuParityAccess.expectedOpChecks(), n, "op comparisons");
        return n;
    }

    /** Every optimizer configuration over eight steps against the double reference. */
    static int everyOptimizer(CudaBackend cuda, long seed) {
        int n = OptimizerParity.run(cuda, seed);
        assertEquals(OptimizerParity.expectedChecks(), n, "optimizer comparisons");
        return n;
    }

    /** The step guard on the update's output: held-back elements, halting, finite parameters. */
    static int outputGuard(Supplier<CudaBackend> open, java.nio.file.Path dir) {
        int n;
        try (CudaBackend cuda = open.get()) {
            n = dev.descent.GuardChecks.overflowingUpdatesAreHeldBack(cuda, 61);
        }
        return n + dev.descent.GuardChecks.divergingRunHaltsWithFiniteParameters(open, dir);
    }

    /**
     * Use after close and several threads on one backend: exceptions or serialised work, never a
     * crash. The too-large model is checked against a device that reports at most 16 GiB free,
     * so that a GPU with more memory than the model needs still exercises the refusal.
     */
    static int misuse(Supplier<CudaDevice> devices) throws Exception {
        Supplier<CudaBackend> open = () -> new CudaBackend(devices.get());
        Supplier<CudaBackend> sixteenGiB = () -> new CudaBackend(new CountingDevice(devices.get(), 16L << 30));
        return dev.descent.MisuseChecks.useAfterCloseThrows(open) + dev.descent.MisuseChecks.sharedBackendAcrossThreads(open)
                + dev.descent.MisuseChecks.modelLargerThanTheBackendIsRefused(sixteenGiB);
    }

    /**
     * The slack allowed on the driver's device-wide figure after 1,000 sessions: on a GPU,
     * cuMemGetInfo counts whole pages of pooled allocations and anything else in the process (the
     * cuBLAS workspace, JIT caches), so it may move by a few pages without a leak. descent's own
     * count of live buffer bytes is checked exactly.
     */
    static final long DRIVER_SLACK_BYTES = 4L << 20;

    /** Creates and closes 1,000 sessions of {@code model}; neither descent's nor the driver's bytes may grow. */
    static int thousandSessions(CudaBackend cuda, Model model) {
        cuda.synchronize();
        long ownBefore = cuda.liveBytes();
        long driverBefore = cuda.device().bytesInUse();
        for (int i = 0; i < 1000; i++) {
            Session s = Session.create(model, cuda, Adam.adam(1e-3).withAmsgrad(true), 32, i);
            s.close();
        }
        cuda.synchronize();
        assertEquals(ownBefore, cuda.liveBytes(), "descent's live device bytes after 1000 sessions");
        long driverGrowth = cuda.device().bytesInUse() - driverBefore;
        assertTrue(driverGrowth <= DRIVER_SLACK_BYTES, "the driver's bytes in use grew by " + driverGrowth
                + " over 1000 sessions (slack " + DRIVER_SLACK_BYTES + ")");
        return 2;
    }

    /**
     * A backend opened on one thread and used from another (a CUDA context is current per
     * thread): training there must give exactly what training on the opening thread gives.
     */
    static int callsFromAnotherThread(Supplier<CudaBackend> open) throws Exception {
        Model model = Model.builder(6).dense(13, Activation.GELU).dense(3, Activation.IDENTITY).build();
        Dataset data = threeClassProblem();
        float[] here = trainBriefly(open.get(), model, data);
        CudaBackend opened = open.get();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            float[] there = other.submit(() -> trainBriefly(opened, model, data)).get();
            assertArrayEquals(here, there, "parameters trained on another thread");
        } finally {
            other.shutdown();
        }
        return 1;
    }

    private static float[] trainBriefly(CudaBackend cuda, Model model, Dataset data) {
        try (cuda; Session s = Session.create(model, cuda, Adam.adam(1e-2), 16, 3);
             DeviceDataset train = s.upload(data)) {
            new Trainer(s, new Trainer.Config(2, 16, 3, Schedule.CONSTANT, true))
                    .fit(train, null, null);
            return s.parameters();
        }
    }

    /**
     * Three epochs of mini-batch Adam on a small three-class problem, on {@code cuda} and on the
     * CPU backend from the same seed: the parameters after 18 steps must agree to the training
     * tolerance, and so must the accuracy.
     */
    static int shortTrainingMatchesCpu(Supplier<? extends Backend> cuda) {
        TrainingParity.againstCpu(cuda, Model.builder(6).dense(13, Activation.GELU).dense(3, Activation.IDENTITY).build(),
                threeClassProblem(), 3, 16, 0.02);
        return 1;
    }

    /** 96 rows of 6 features in three Gaussian clusters. */
    static Dataset threeClassProblem() {
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
        return Dataset.classification(x, rows, 6, y, 3);
    }

    /**
     * The training loop's steady state (gather a batch on the device, forward, backward, update)
     * makes no device allocation, no copy to or from the host and no synchronisation: 50 steps
     * after a warm-up, only kernel launches. It also checks how much the Java heap grows per step
     * on the calling thread, so garbage in the launch path shows up here.
     */
    static int stepsStayOnTheDevice(CudaDevice device) {
        CountingDevice counting = new CountingDevice(device);
        Model model = Model.builder(6).dense(13, Activation.GELU).dense(3, Activation.IDENTITY).build();
        try (CudaBackend cuda = new CudaBackend(counting);
             Session s = Session.create(model, cuda, Adam.adam(0.02).withAmsgrad(true), 16, 4);
             DeviceDataset d = s.upload(threeClassProblem())) {
            int steps = 50;
            long heapPerStep = StepProbe.heapBytesPerStep(s, d, 20, steps, counting::reset);
            System.out.printf("[no host traffic] %d steps: %d launches, %d host interactions, %d heap bytes per step%n",
                    steps * dev.descent.StepProbe.ROUNDS, counting.launches, counting.hostInteractions(), heapPerStep);
            assertTrue(counting.launches >= steps * 10L, "launches: " + counting.launches);
            assertEquals(0, counting.hostInteractions(), "mallocs " + counting.mallocs + ", frees " + counting.frees
                    + ", uploads " + counting.uploads + ", downloads " + counting.downloads
                    + ", synchronizes " + counting.synchronizes + " in " + steps + " training steps");
            assertTrue(heapPerStep <= MAX_HEAP_BYTES_PER_STEP, heapPerStep + " heap bytes allocated per step");
        }
        return 1;
    }

    /**
     * Java heap per training step allowed in {@link #stepsStayOnTheDevice}: zero in steady state,
     * with room for the odd object the JIT's transitions leave (measured: under 6 bytes per step
     * on average). One array per launch was ~2,300 bytes per step, one per update step 48.
     */
    static final long MAX_HEAP_BYTES_PER_STEP = 32;
}
