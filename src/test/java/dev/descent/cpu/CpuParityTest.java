package dev.descent.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Activation;
import dev.descent.BackendParity;
import dev.descent.Loss;
import dev.descent.OptimizerParity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's fast float32 path against the double reference: every op on ragged shapes
 * and every optimizer configuration over several steps, with 1 and 2 threads (the split logic
 * differs). The expected counts are computed from the tables, so an op or a rule that silently
 * drops out fails the test.
 */
class CpuParityTest {
    private static int total;

    /** Comparisons the op harness makes, derived from its shape tables. */
    static int expectedOpChecks() {
        int acts = Activation.values().length;
        int gemm = BackendParity.GEMM_SHAPES.length * BackendParity.GEMM_MODES.length * 2 + 2;
        int biasAct = acts * BackendParity.ROW_SHAPES.length * 2;
        int actBack = acts * BackendParity.SIZES.length;
        int biasGrad = BackendParity.ROW_SHAPES.length;
        int loss = Loss.values().length * 4 * (2 + 1 + 2);
        int norm = BackendParity.SIZES.length * 2;
        int gather = BackendParity.ROW_SHAPES.length;
        int copy = 2;
        return gemm + biasAct + actBack + biasGrad + loss + norm + gather + copy;
    }

    @Test
    void everyOpMatchesTheReference() {
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend cpu = new CpuBackend(threads)) {
                int checks = new BackendParity(cpu, 1000 + threads).runAllOps();
                assertEquals(expectedOpChecks(), checks, "op checks with " + threads + " threads");
                total += checks;
            }
        }
    }

    @Test
    void bothGemmKernelsMatchTheReference() {
        // Surefire starts the JVM with the Vector API module, so the default backend runs VectorGemm;
        // the scalar kernel is forced here. Both must be checked on every shape.
        assertTrue(GemmKernels.vectorApiPresent(), "tests run with --add-modules jdk.incubator.vector (pom.xml)");
        for (boolean vector : new boolean[] {true, false}) {
            try (CpuBackend cpu = new CpuBackend(2, vector)) {
                assertEquals(vector, cpu.describe().contains("Vector API"), cpu.describe());
                BackendParity p = new BackendParity(cpu, 3000);
                p.gemm();
                assertEquals(BackendParity.GEMM_SHAPES.length * BackendParity.GEMM_MODES.length * 2 + 2, p.checks());
                total += p.checks();
            }
        }
    }

    @Test
    void everyOptimizerMatchesTheReferenceOverEightSteps() {
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend cpu = new CpuBackend(threads)) {
                int checks = OptimizerParity.run(cpu, 2000 + threads);
                assertEquals(OptimizerParity.expectedChecks(), checks, "optimizer checks with " + threads + " threads");
                total += checks;
            }
        }
    }

    @Test
    void largeArenaSplitsAcrossThreadsAndStillMatches() {
        // 2^18 + 3 elements: several chunks per thread and a ragged tail in every fused loop.
        try (CpuBackend cpu = new CpuBackend(2)) {
            BackendParity p = new BackendParity(cpu, 7);
            p.gradientNorm();
            total += p.checks();
        }
    }

    @AfterAll
    static void report() {
        System.out.println("[parity] cpu: " + total + " comparisons against the double reference");
    }
}
