package dev.descent.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static dev.descent.verify.TrainingParity.SMALL_MODEL;
import static dev.descent.verify.TrainingParity.threeClassProblem;

import dev.descent.Activation;
import dev.descent.Backend;
import dev.descent.verify.OpParity;
import dev.descent.BackendSuite;
import dev.descent.DeviceDataset;
import dev.descent.Model;
import dev.descent.Schedule;
import dev.descent.Session;
import dev.descent.StepProbe;
import dev.descent.Trainer;
import dev.descent.data.Dataset;
import dev.descent.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The backend contract plus what every CUDA suite checks, whatever serves the device: the
 * emulator behind {@link EmulatedDevice}, JCuda on the emulated driver, or JCuda on a GPU.
 */
abstract class CudaSuite extends BackendSuite {

    /**
     * Why the native library a suite runs on is missing, or null when it is built. Under CI a
     * missing library fails the suite instead: CI must run these tests.
     *
     * @param what the library, for the failure ("emulated driver")
     * @param library its path
     * @param needs what building it takes ("g++")
     * @param target its make target under native/
     */
    static String notBuilt(String what, String library, String needs, String target) {
        if (Files.isRegularFile(Path.of(library))) {
            return null;
        }
        if (System.getenv("CI") != null) {
            fail(what + " " + library + " was not built (make -C native " + target + "); CI must run these tests");
        }
        return library + " not built (needs " + needs + ": make -C native " + target + ")";
    }
    /** A fresh device of the kind under test; the backend built on it owns and closes it. */
    protected abstract CudaDevice openDevice();

    @Override
    protected Backend open() {
        return new CudaBackend(openDevice());
    }

    /** The device reports at most 16 GiB free, so a GPU larger than the refused model still refuses it. */
    @Override
    protected Backend openWithLittleMemory() {
        return new CudaBackend(new CountingDevice(openDevice(), 16L << 30));
    }

    /** The model created and closed 1,000 times by {@link #thousandSessionsReturnDeviceMemoryToWhereItStarted}. */
    protected Model thousandSessionsModel() {
        return Model.builder(8).dense(16, Activation.RELU).dense(4, Activation.IDENTITY).build();
    }

    /**
     * Shapes where variant 3 splits K (2 to 13 splits, the last one ragged), in the proportions
     * of training at small batches: a forward product, a weight gradient, an input gradient.
     */
    static final int[][] SPLIT_K_SHAPES = {{7, 33, 257}, {64, 40, 1000}, {5, 130, 1700}, {3, 5, 4099}};

    /** descent's own SGEMM variants, whichever GEMM the backend picks by default (cuBLAS on a GPU). */
    @Test
    @Order(2)
    void everyOpMatchesTheReferenceWithEachOwnSgemmVariant() {
        for (int[] s : SPLIT_K_SHAPES) {
            assertTrue(SplitKGemm.splits(s[0], s[1], s[2]) > 1, "variant 3 splits K on " + java.util.Arrays.toString(s));
        }
        for (String variant : new String[] {"tiled1", "tiled2", "tiled3"}) {
            try (CudaBackend cuda = new CudaBackend(openDevice(), variant)) {
                assertTrue(cuda.describe().contains("variant " + variant.charAt(5)), cuda.describe());
                OpParity p = new OpParity(cuda, seed() + 10);
                p.gemm();
                assertEquals(OpParity.expectedGemmChecks(), p.checks(), "GEMM comparisons with " + variant);
                p.gemm(SPLIT_K_SHAPES);
                count(p.checks());
            }
        }
    }

    /**
     * With at most two blocks per grid-stride launch (512 threads), every element-wise kernel
     * and every fused update wraps its loop on the larger parity shapes (4,099 elements; the
     * updates take four per thread), a path the default grid of up to 4,096 blocks never takes
     * on test-sized data.
     */
    @Test
    @Order(3)
    void everyOpAndRuleMatchWhenGridStrideLoopsWrap() {
        try (CudaBackend cuda = new CudaBackend(openDevice(), "auto", false, 2)) {
            int ops = new OpParity(cuda, seed() + 20).runAllOps();
            assertEquals(OpParity.expectedOpChecks(), ops, "op comparisons with a 2-block grid");
            int rules = dev.descent.verify.OptimizerParity.run(cuda, seed() + 21);
            assertEquals(dev.descent.verify.OptimizerParity.expectedChecks(), rules, "optimizer comparisons with a 2-block grid");
            count(ops + rules);
        }
    }

    /**
     * A backend opened on one thread and used from another (a CUDA context is current per
     * thread): training there must give exactly what training on the opening thread gives.
     */
    @Test
    @Order(3)
    void aBackendOpenedOnOneThreadTrainsIdenticallyOnAnother() throws Exception {
        Dataset data = threeClassProblem();
        float[] here = trainBriefly(open(), data);
        Backend opened = open();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            float[] there = other.submit(() -> trainBriefly(opened, data)).get();
            assertArrayEquals(here, there, "parameters trained on another thread");
        } finally {
            other.shutdown();
        }
        count(1);
    }

    private static float[] trainBriefly(Backend backend, Dataset data) {
        try (backend; Session s = Session.create(SMALL_MODEL, backend, Adam.adam(1e-2), 16, 3);
             DeviceDataset train = s.upload(data)) {
            new Trainer(s, new Trainer.Config(2, 16, 3, Schedule.CONSTANT, true)).fit(train, null, null);
            return s.parameters();
        }
    }

    /**
     * The slack allowed on the driver's device-wide figure after 1,000 sessions: on a GPU,
     * cuMemGetInfo counts whole pages of pooled allocations and anything else in the process (the
     * cuBLAS workspace, JIT caches), so it may move by a few pages without a leak. descent's own
     * count of live buffer bytes is checked exactly.
     */
    static final long DRIVER_SLACK_BYTES = 4L << 20;

    /** Creates and closes 1,000 sessions; neither descent's nor the driver's bytes in use may grow. */
    @Test
    @Order(5)
    void thousandSessionsReturnDeviceMemoryToWhereItStarted() {
        try (CudaBackend cuda = new CudaBackend(openDevice())) {
            cuda.synchronize();
            long ownBefore = cuda.liveBytes();
            long driverBefore = cuda.device().bytesInUse();
            for (int i = 0; i < 1000; i++) {
                Session s = Session.create(thousandSessionsModel(), cuda, Adam.adam(1e-3).withAmsgrad(true), 32, i);
                s.close();
            }
            cuda.synchronize();
            assertEquals(ownBefore, cuda.liveBytes(), "descent's live device bytes after 1000 sessions");
            long driverGrowth = cuda.device().bytesInUse() - driverBefore;
            assertTrue(driverGrowth <= DRIVER_SLACK_BYTES, "the driver's bytes in use grew by " + driverGrowth
                    + " over 1000 sessions (slack " + DRIVER_SLACK_BYTES + ")");
            count(2);
        }
    }

    /**
     * The training loop's steady state (gather a batch on the device, forward, backward, update)
     * makes no device allocation, no copy to or from the host and no synchronisation: 50 steps
     * after a warm-up, only kernel launches. It also checks how much the Java heap grows per step
     * on the calling thread, so garbage in the launch path shows up here.
     */
    @Test
    @Order(6)
    void trainingStepsOnlyLaunchKernels() {
        CountingDevice counting = new CountingDevice(openDevice());
        try (CudaBackend cuda = new CudaBackend(counting);
             Session s = Session.create(SMALL_MODEL, cuda, Adam.adam(0.02).withAmsgrad(true), 16, 4);
             DeviceDataset d = s.upload(threeClassProblem())) {
            int steps = 50;
            long heapPerStep = StepProbe.heapBytesPerStep(s, d, 20, steps, counting::reset);
            System.out.printf("[no host traffic] %s, %d steps: %d launches, %d host interactions, %d heap bytes per step%n",
                    label(), steps * StepProbe.ROUNDS, counting.launches, counting.hostInteractions(), heapPerStep);
            assertTrue(counting.launches >= steps * 10L, "launches: " + counting.launches);
            assertEquals(0, counting.hostInteractions(), "mallocs " + counting.mallocs + ", frees " + counting.frees
                    + ", uploads " + counting.uploads + ", downloads " + counting.downloads
                    + ", synchronizes " + counting.synchronizes + " in " + steps + " training steps");
            assertTrue(heapPerStep <= MAX_HEAP_BYTES_PER_STEP, heapPerStep + " heap bytes allocated per step");
            count(1);
        }
    }

    /**
     * Java heap per training step allowed in {@link #trainingStepsOnlyLaunchKernels}: zero in
     * steady state, with room for the odd object the JIT's transitions leave (measured: under 6
     * bytes per step on average). One array per launch was ~2,300 bytes per step, one per update
     * step 48.
     */
    static final long MAX_HEAP_BYTES_PER_STEP = 32;
}
