package dev.descent.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backend;
import dev.descent.BackendParity;
import dev.descent.BackendSuite;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's fast float32 path with two threads against the double reference: the
 * whole backend contract ({@link BackendSuite}), both GEMM kernels, and a large arena split
 * across threads. {@link CpuSingleThreadParityTest} runs the contract with one thread, where the
 * split logic differs.
 */
class CpuParityTest extends BackendSuite {
    @Override
    protected Backend open() {
        return new CpuBackend(2);
    }

    @Override
    protected String label() {
        String bits = System.getProperty("descent.cpu.vectorBits");
        return "cpu (2 threads" + (bits == null ? "" : ", " + bits + "-bit vectors") + ")";
    }

    @Test
    void bothGemmKernelsMatchTheReference() {
        // Surefire starts the JVM with the Vector API module, so the default backend runs VectorGemm;
        // the scalar kernel is forced here. Both must be checked on every shape.
        assertTrue(GemmKernels.vectorApiPresent(), "tests run with --add-modules jdk.incubator.vector (pom.xml)");
        for (boolean vector : new boolean[] {true, false}) {
            try (CpuBackend cpu = new CpuBackend(2, vector)) {
                assertEquals(vector, cpu.describe().contains("Vector API"), cpu.describe());
                String bits = System.getProperty("descent.cpu.vectorBits");
                if (vector && bits != null) {
                    assertTrue(cpu.describe().contains("(" + Integer.parseInt(bits) / 32 + " lanes)"), cpu.describe());
                }
                BackendParity p = new BackendParity(cpu, 3000);
                p.gemm();
                assertEquals(BackendParity.expectedGemmChecks(), p.checks());
                // Thin products (VectorThinGemm) large enough to be split over both threads:
                // one row of A over columns, a two-deep outer product over rows. Then one packed
                // whole and shared by the threads (VectorGemm.shared), and one too large for that
                // (the harness's own shapes, like it, take VectorGemm.block), with K and row blocks;
                // then one shared in two K blocks, and a wide one that VectorGemm.block splits over columns.
                p.gemm(new int[][] {{1, 1100, 600}, {3, 700, 500}, {900, 400, 2}, {203, 301, 290}, {300, 100, 3000},
                    {64, 96, 1500}, {40, 900, 1300}});
                assertEquals(BackendParity.expectedGemmChecks() + 7 * BackendParity.GEMM_MODES.length * 2, p.checks());
                count(p.checks());
            }
        }
    }

    @Test
    void theGemmShapesAboveReachBothPathsOfTheVectorKernel() {
        assertTrue(VectorGemm.sharedPacking(203, 301, 290));
        assertTrue(VectorGemm.sharedPacking(64, 96, 1500));
        assertEquals(750, VectorGemm.blockDepth(1500));
        assertEquals(1000, VectorGemm.blockDepth(3000));
        assertTrue(!VectorGemm.sharedPacking(300, 100, 3000));
        assertTrue(!VectorGemm.sharedPacking(40, 900, 1300));
        assertTrue(VectorGemm.packedFloats(300, 100, 3000) > VectorGemm.SHARED_PACK_FLOATS);
        for (int[] s : BackendParity.GEMM_SHAPES) {
            assertTrue(!VectorGemm.sharedPacking(s[0], s[1], s[2]), java.util.Arrays.toString(s));
        }
    }

    @Test
    void largeArenaSplitsAcrossThreadsAndStillMatches() {
        // 2^18 + 3 elements: several chunks per thread and a ragged tail in every fused loop.
        try (CpuBackend cpu = new CpuBackend(2)) {
            BackendParity p = new BackendParity(cpu, 7);
            p.gradientNorm();
            count(p.checks());
        }
    }
}
