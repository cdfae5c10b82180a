package dev.descent.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.descent.Backend;
import dev.descent.verify.OpParity;
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
                OpParity p = new OpParity(cpu, 3000);
                p.gemm();
                assertEquals(OpParity.expectedGemmChecks(), p.checks());
                // Thin products (VectorThinGemm) large enough to be split over both threads:
                // one row of A over columns, a two-deep outer product over rows. Then one packed
                // whole and shared by the threads (VectorGemm.shared), and one too large for that
                // (the harness's own shapes, like it, take VectorGemm.block), with K and row blocks;
                // then one shared in two K blocks, and a wide one that VectorGemm.block splits over columns;
                // last, one whose op(B) the threads pack once in pieces, in two column blocks, the second
                // narrower than a panel.
                p.gemm(new int[][] {{1, 1100, 600}, {3, 700, 500}, {900, 400, 2}, {203, 301, 290}, {300, 100, 3000},
                    {64, 96, 1500}, {40, 900, 1300}, {1060, 1060, 500}});
                assertEquals(OpParity.expectedGemmChecks() + 8 * OpParity.GEMM_MODES.length * 2, p.checks());
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
        assertTrue(VectorGemm.packsBOnce(2, 300, 100, 3000));
        // 1060 columns leave an edge panel at every vector width (panels of 8, 16 or 32 columns).
        assertTrue(VectorGemm.packsBOnce(2, 1060, 1060, 500));
        assertTrue(!VectorGemm.sharedPacking(1060, 1060, 500));
        assertTrue(1060 > VectorGemm.NC && 1060 % VectorGemm.NR != 0, "two column blocks, an edge panel");
        assertTrue(!VectorGemm.packsBOnce(1, 1060, 1060, 500));
        assertTrue(!VectorGemm.packsBOnce(2, 40, 900, 1300), "split over columns");
        for (int[] s : OpParity.GEMM_SHAPES) {
            assertTrue(!VectorGemm.sharedPacking(s[0], s[1], s[2]), java.util.Arrays.toString(s));
        }
        // With B transposed, products of at most 128 rows go to VectorTransposedBGemm instead:
        // the harness's 7x33x257 (rows and columns short of a tile) and 65x129x31 (a last sliver of
        // one row), and 64x96x1500 and 40x900x1300 above (two K blocks, split over columns).
        assertTrue(VectorTransposedBGemm.takes(true, 7));
        assertTrue(VectorTransposedBGemm.takes(true, 40) && VectorTransposedBGemm.takes(true, 65));
        assertTrue(VectorGemm.blockDepth(1300) < 1300);
        assertTrue(!VectorTransposedBGemm.takes(false, 40));
        assertTrue(!VectorTransposedBGemm.takes(true, 203));
        assertTrue(!VectorTransposedBGemm.takes(true, 1060));
    }

    /**
     * VectorTransposedBGemm on ragged shapes drawn at random (rows 5 to 128, so it takes them with
     * B transposed; columns and depth off every tile and block size, depth past one K block now
     * and then), every mode against the double reference.
     */
    @Test
    void raggedProductsWithFewRowsMatchTheReference() {
        java.util.Random rnd = new java.util.Random(seed() + 40);
        int[][] shapes = new int[12][];
        for (int i = 0; i < shapes.length; i++) {
            shapes[i] = new int[] {5 + rnd.nextInt(124), 1 + rnd.nextInt(300), 5 + rnd.nextInt(i % 4 == 0 ? 2500 : 400)};
            assertTrue(VectorTransposedBGemm.takes(true, shapes[i][0]) && !VectorThinGemm.thin(shapes[i][0], shapes[i][2]));
        }
        try (CpuBackend cpu = new CpuBackend(2, true)) {
            OpParity p = new OpParity(cpu, seed() + 41);
            p.gemm(shapes);
            assertEquals(shapes.length * OpParity.GEMM_MODES.length * 2, p.checks());
            count(p.checks());
        }
    }

    @Test
    void operandsPackedOnceGiveTheSingleThreadBitsEvenWhenTheWorkerNeverStarts() {
        // Each element of C is summed in the same order whoever packs an operand, so the
        // two-thread result must equal the one-thread one exactly; with a worker that never
        // starts the caller runs both chunks, and the second must find every piece ready, not
        // wait. 1048 x 1048 x 500 packs op(B) once in pieces in block(); the others take
        // shared(): the input gradient (tb), the weight gradient (ta), two K blocks, ragged.
        // With B transposed, the input gradient's shape and 64 x 3000 x 2500 (three K blocks)
        // go to VectorTransposedBGemm, which must not depend on the thread count either.
        int[][] shapes = {{1048, 1048, 500}, {64, 784, 256}, {784, 256, 64}, {70, 100, 1500}, {64, 3000, 2500}};
        assertTrue(VectorGemm.packsBOnce(2, 1048, 1048, 500));
        assertTrue(VectorTransposedBGemm.takes(true, 64));
        assertTrue(VectorGemm.blockDepth(2500) < 1000, "64 x 3000 x 2500 in three K blocks");
        for (int s = 1; s < 4; s++) {
            assertTrue(VectorGemm.sharedPacking(shapes[s][0], shapes[s][1], shapes[s][2]));
        }
        assertTrue(VectorGemm.blockDepth(1500) < 1500);
        java.util.Random rnd = new java.util.Random(42);
        for (int[] shape : shapes) {
            int m = shape[0], n = shape[1], k = shape[2];
            float[] a = gaussian(rnd, m * k + 3);
            float[] b = gaussian(rnd, k * n + 5);
            float[] c0 = gaussian(rnd, m * n + 7);
            for (int mode = 0; mode < 4; mode++) {
                boolean transA = (mode & 1) != 0, transB = (mode & 2) != 0;
                if (m == 1048 && transA) {
                    continue; // the pieces are op(B)'s; A's mode changes nothing there
                }
                float[] expected = c0.clone();
                try (Parallel one = new Parallel(1)) {
                    VectorGemm.gemm(one, transA, transB, m, n, k, 0.5f, a, 3, b, 5, 0.25f, expected, 7);
                }
                for (boolean workerRuns : new boolean[] {true, false}) {
                    float[] c = c0.clone();
                    try (Parallel two = new Parallel(2, workerRuns)) {
                        VectorGemm.gemm(two, transA, transB, m, n, k, 0.5f, a, 3, b, 5, 0.25f, c, 7);
                    }
                    assertTrue(java.util.Arrays.equals(expected, c), java.util.Arrays.toString(shape) + " transA " + transA
                            + ", transB " + transB + ", worker runs " + workerRuns);
                }
            }
        }
    }

    private static float[] gaussian(java.util.Random rnd, int length) {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /**
     * The default parity sizes (at most 4,099) sit below the split thresholds (8,192 elements for
     * element-wise ops and the norm, 16,384 for updates), so here every op family and every rule
     * runs on sizes above them, and each family must actually have split across both threads.
     */
    @Test
    void workAboveTheSplitThresholdsSplitsAcrossThreadsAndStillMatches() {
        int[] elements = {8195, 70001};
        int[][] rows = {{129, 65}, {300, 257}};
        try (CpuBackend cpu = new CpuBackend(2)) {
            OpParity p = new OpParity(cpu, 7).withSizes(elements, rows);
            Runnable[] families = {p::biasActivation, p::activationBackward, p::biasGradient, p::gradientNorm};
            String[] names = {"biasActivation", "activationBackward", "biasGradient", "gradientNorm"};
            for (int f = 0; f < families.length; f++) {
                long before = cpu.parallelSplits();
                families[f].run();
                assertTrue(cpu.parallelSplits() > before, names[f] + " never split across threads");
            }
            count(p.checks());
            long before = cpu.parallelSplits();
            int n = dev.descent.verify.OptimizerParity.run(cpu, 8, dev.descent.verify.ParityLog.failFast(),
                    new int[] {16387 * 3 / 2, 40009});
            assertTrue(cpu.parallelSplits() - before >= dev.descent.verify.OptimizerParity.CONFIGS.size() * 2L * 7,
                    "updates split " + (cpu.parallelSplits() - before) + " times");
            count(n);
        }
    }
}
