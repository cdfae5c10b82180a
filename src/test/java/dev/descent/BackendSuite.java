package dev.descent;

import dev.descent.internal.Lifecycle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.verify.OpParity;
import dev.descent.verify.OptimizerParity;
import dev.descent.verify.TrainingParity;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every backend passes, whatever runs it: the CPU backend with one and with two
 * threads, CUDA on the kernel emulator, CUDA through JCuda on the emulated driver, CUDA on a GPU,
 * and OpenCL. A subclass says how to open its backend and whether it can run here, and adds the
 * checks only its backend has (device memory, kernel launches, control-slot numbers).
 *
 * <p>Every check returns the comparisons it made; the suite prints the total, and a suite that
 * could run but compared nothing fails, so it can never pass by not running.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class BackendSuite {
    private int checks;
    private String unavailable;

    /** A fresh backend of the kind under test; the caller closes it. */
    protected abstract Backend open();

    /** What the printed count calls this suite, e.g. "cuda (GPU)". */
    protected abstract String label();

    /**
     * Prepares the suite (loads a library, sets a property) and says why it cannot run here, or
     * null when it can. Called once, before any test. A suite that CI must run fails here
     * instead of returning a reason.
     */
    protected String prepare() {
        return null;
    }

    /** Whether the backend refuses calls from threads other than the one that opened it (OpenCL). */
    protected boolean confinedToOpeningThread() {
        return false;
    }

    /**
     * A backend that reports little free memory, so that refusing a model larger than the device
     * is exercised even where the real device could hold it.
     */
    protected Backend openWithLittleMemory() {
        return open();
    }

    /** Base of the random seeds this suite's inputs come from: distinct per suite. */
    protected long seed() {
        return label().hashCode();
    }

    /** Adds a subclass check's comparisons to the printed total. */
    protected final void count(int comparisons) {
        checks += comparisons;
    }

    @BeforeAll
    final void checkAvailability() {
        unavailable = prepare();
        if (unavailable != null) {
            System.out.println("[parity] " + label() + " tests skipped: " + unavailable);
        }
    }

    /** Per test, so each one is reported as skipped with the reason rather than silently absent. */
    @BeforeEach
    final void requireBackend() {
        Assumptions.assumeTrue(unavailable == null, label() + " tests skipped: " + unavailable);
    }

    @AfterAll
    final void report() {
        if (unavailable == null) {
            System.out.println("[parity] " + label() + ": " + checks + " comparisons against the double reference");
            assertTrue(checks > 0, label() + ": no comparison ran");
        }
    }

    @Test
    @Order(2)
    void everyOpMatchesTheReference() {
        try (Backend be = open()) {
            int n = new OpParity(be, seed() + 1).runAllOps();
            assertEquals(OpParity.expectedOpChecks(), n, "op comparisons");
            count(n);
        }
    }

    @Test
    @Order(3)
    void everyOptimizerMatchesTheReferenceOverEightSteps() {
        try (Backend be = open()) {
            int n = OptimizerParity.run(be, seed() + 2);
            assertEquals(OptimizerParity.expectedChecks(), n, "optimizer comparisons");
            count(n);
        }
    }

    @Test
    @Order(3)
    void overflowingUpdatesAreHeldBackAndHaltTraining(@TempDir Path dir) {
        try (Backend be = open()) {
            count(GuardChecks.overflowingUpdatesAreHeldBack(be, seed() + 3));
        }
        count(GuardChecks.divergingRunHaltsWithFiniteParameters(this::open, dir));
    }

    @Test
    @Order(3)
    void misuseThrowsOrIsSerialisedNeverCrashes() throws Exception {
        count(MisuseChecks.useAfterCloseThrows(this::open));
        count(confinedToOpeningThread() ? MisuseChecks.confinedToItsThread(this::open)
                : MisuseChecks.sharedBackendAcrossThreads(this::open));
        count(MisuseChecks.modelLargerThanTheBackendIsRefused(this::openWithLittleMemory));
    }

    @Test
    @Order(3)
    void predictorFromACheckpointMatchesTheCpu() {
        count(PredictorChecks.matchesCpu(this::open));
    }

    /**
     * Three epochs of mini-batch Adam on a small three-class problem, here and on the CPU backend
     * from the same seed: parameters within the training tolerance, accuracies close.
     */
    @Test
    @Order(4)
    void shortTrainingRunMatchesTheCpuBackend() {
        TrainingParity.againstReference(this::open, TrainingParity.SMALL_MODEL, TrainingParity.threeClassProblem(), 3, 16, 0.02);
        count(1);
    }
}
