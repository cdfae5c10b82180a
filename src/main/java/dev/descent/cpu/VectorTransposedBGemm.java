package dev.descent.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM for a B stored n x k (read transposed) with few rows of C: training's input gradient
 * dY Wᵀ (64 x 256 x 784 for a 784-256 layer at batch 64). {@link VectorGemm} packs op(B) into
 * column panels, which for B stored n x k is a transpose of all of B, one scalar load and store
 * per float, a quarter of that product's time. Here B is never packed. The operands swap roles:
 * a tile is MV = 2 vectors of C's rows by NB = 6 of its columns, the vectors run down op(A)'s
 * rows (op(A) packed as [k][MV]: m x k floats, a twelfth of B in the product above), and each
 * column broadcasts its values straight from its row of B, contiguous along k. The tile comes
 * out as six columns of C and is stored through a small buffer into C's rows: per element of C
 * that costs a load and a store, where packing B cost k / m of them (4 in the product above).
 * Each element of C is summed over k in order with fused multiply-adds, K in the same blocks as
 * VectorGemm, so the result does not depend on the thread count.
 */
final class VectorTransposedBGemm {
    private VectorTransposedBGemm() {}

    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int L = S.length();
    /** Rows of C per tile: two vectors. */
    static final int MV = 2 * L;
    /** Columns of C per tile: twelve accumulators, as VectorGemm's kernel (fifteen registers with AVX2). */
    static final int NB = 6;

    /**
     * Rows of C up to which this kernel takes a product with B transposed. Against VectorGemm,
     * one JVM alternating the two, two threads: 8 to 128 rows ran 2-53% faster (64x256x784
     * 165 -> 209 GFLOP/s with B warm, 168 -> 192 with eight B's in turn; 64x4096x4096 138 -> 265),
     * 40 rows the same; from 192 rows on, with op(A) four times B's panel or more, 7-8% slower.
     */
    static final int MAX_ROWS = 128;

    /**
     * Whether this kernel takes the product.
     *
     * @return true for B stored transposed and at most {@link #MAX_ROWS} rows of C
     */
    static boolean takes(boolean transB, int m) {
        return transB && m <= MAX_ROWS;
    }

    /** This thread's op(A) packed as [k][MV] slivers, MV rows each. */
    private static final ScratchFloats PACK_A = new ScratchFloats();
    /** One tile's results, column by column, on their way into C's rows. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[NB * MV]);

    static void gemm(Parallel par, boolean transA, int m, int n, int k, float alpha, float[] a, int aOff,
                     float[] b, int bOff, float beta, float[] c, int cOff) {
        int panels = (n + NB - 1) / NB;
        int slivers = (m + MV - 1) / MV;
        int depth = VectorGemm.blockDepth(k);
        // Split over C's columns: each thread reads only its own rows of B, and packs all of op(A).
        par.forRange(panels, CpuGemm.grain(m, n, k), 1, (chunk, from, to) -> {
            float[] pa = PACK_A.atLeast(slivers * MV * depth);
            float[] tile = TILE.get();
            for (int pc = 0; pc < k; pc += depth) {
                int kc = Math.min(depth, k - pc);
                float cScale = pc == 0 ? beta : 1f;
                for (int s = 0; s < slivers; s++) {
                    pack(transA, a, aOff, m, k, s * MV, Math.min(MV, m - s * MV), pc, kc, pa, s * MV * kc);
                }
                for (int jp = from; jp < to; jp++) {
                    int j0 = jp * NB;
                    int cols = Math.min(NB, n - j0);
                    // Every sliver against this panel's rows of B, which stay in L1 meanwhile.
                    for (int s = 0; s < slivers; s++) {
                        micro(pa, s * MV * kc, b, bOff + j0 * k + pc, k, cols, kc, tile);
                        store(tile, c, cOff + s * MV * n + j0, n, Math.min(MV, m - s * MV), cols, alpha, cScale);
                    }
                }
            }
        });
    }

    /** pa[at + p*MV + r] = op(A)[i0 + r][pc + p] for p < kc, zero for rows from {@code rows} on. */
    private static void pack(boolean transA, float[] a, int aOff, int m, int k, int i0, int rows, int pc, int kc,
                             float[] pa, int at) {
        if (rows < MV) {
            java.util.Arrays.fill(pa, at, at + kc * MV, 0f);
        }
        if (transA) {
            // A stored k x m: the sliver's rows are contiguous for each p.
            for (int p = 0; p < kc; p++) {
                System.arraycopy(a, aOff + (pc + p) * m + i0, pa, at + p * MV, rows);
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int src = aOff + (i0 + r) * k + pc;
            for (int p = 0; p < kc; p++) {
                pa[at + p * MV + r] = a[src + p];
            }
        }
    }

    /**
     * tile[j*MV + r] = sum over p < kc of pa[ao + p*MV + r] * B row j [p], for the {@code cols}
     * rows of B from {@code row0} (ldb apart); columns past {@code cols} repeat the first row and
     * are not stored.
     */
    private static void micro(float[] pa, int ao, float[] b, int row0, int ldb, int cols, int kc, float[] tile) {
        int r0 = row0;
        int r1 = cols > 1 ? row0 + ldb : row0;
        int r2 = cols > 2 ? row0 + 2 * ldb : row0;
        int r3 = cols > 3 ? row0 + 3 * ldb : row0;
        int r4 = cols > 4 ? row0 + 4 * ldb : row0;
        int r5 = cols > 5 ? row0 + 5 * ldb : row0;
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector a0 = FloatVector.fromArray(S, pa, ao + p * MV);
            FloatVector a1 = FloatVector.fromArray(S, pa, ao + p * MV + L);
            FloatVector x = FloatVector.broadcast(S, b[r0 + p]);
            c00 = a0.fma(x, c00);
            c01 = a1.fma(x, c01);
            x = FloatVector.broadcast(S, b[r1 + p]);
            c10 = a0.fma(x, c10);
            c11 = a1.fma(x, c11);
            x = FloatVector.broadcast(S, b[r2 + p]);
            c20 = a0.fma(x, c20);
            c21 = a1.fma(x, c21);
            x = FloatVector.broadcast(S, b[r3 + p]);
            c30 = a0.fma(x, c30);
            c31 = a1.fma(x, c31);
            x = FloatVector.broadcast(S, b[r4 + p]);
            c40 = a0.fma(x, c40);
            c41 = a1.fma(x, c41);
            x = FloatVector.broadcast(S, b[r5 + p]);
            c50 = a0.fma(x, c50);
            c51 = a1.fma(x, c51);
        }
        // Written out, not looped over an array of vectors (which would box every one of them).
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, MV);
        c11.intoArray(tile, MV + L);
        c20.intoArray(tile, 2 * MV);
        c21.intoArray(tile, 2 * MV + L);
        c30.intoArray(tile, 3 * MV);
        c31.intoArray(tile, 3 * MV + L);
        c40.intoArray(tile, 4 * MV);
        c41.intoArray(tile, 4 * MV + L);
        c50.intoArray(tile, 5 * MV);
        c51.intoArray(tile, 5 * MV + L);
    }

    /**
     * C[r][j] = cScale C[r][j] + alpha tile[j*MV + r] for r < rows, j < cols, as one fused
     * multiply-add; cScale is beta on the first K block (0: C is not read, NaN included), then 1.
     */
    private static void store(float[] tile, float[] c, int co, int ldc, int rows, int cols, float alpha,
                              float cScale) {
        for (int r = 0; r < rows; r++) {
            int ci = co + r * ldc;
            for (int j = 0; j < cols; j++) {
                float v = alpha * tile[j * MV + r];
                c[ci + j] = cScale == 0 ? v : Math.fma(c[ci + j], cScale, v);
            }
        }
    }
}
