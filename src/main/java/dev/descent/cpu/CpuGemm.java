package dev.descent.cpu;

/**
 * Cache-blocked, multithreaded SGEMM on row-major float arrays (NN, NT, TN, TT).
 *
 * <p>Version 2 (this one): op(B) is packed, KC x NC at a time, into a per-thread panel of KC
 * separate row arrays that stays in L2; each row of C is accumulated in a scratch row with one
 * AXPY per k, then added into C once. Every array in the inner loop starts at index 0 on
 * purpose: JDK 17's C2 does not vectorize a loop whose array index carries a loop-invariant
 * offset (measured here: 2 GFLOP/s with an offset, 20 without, on one AVX-512 core), which is
 * what version 1 (AXPY straight into C at row offsets) ran into.
 * Work is split by {@link #split} (shared with {@link VectorGemm}). Each element of C is owned
 * by one thread and summed in a fixed k order, so results are deterministic.
 */
final class CpuGemm {
    private CpuGemm() {}

    static final int KC = 256;
    static final int NC = 1024;

    private static final ThreadLocal<float[][]> PANEL = ThreadLocal.withInitial(() -> new float[KC][NC]);
    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[NC]);

    static void gemm(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        split(par, m, n, k, 4, 16, (i0, i1, j0, j1) ->
                block(transA, transB, i0, i1, j0, j1, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff));
    }

    /** Computes rows [i0, i1) x columns [j0, j1) of C. */
    interface Block {
        void run(int i0, int i1, int j0, int j1);
    }

    /**
     * The work split both CPU kernels use: over rows of C when there are enough of them
     * (boundaries multiples of rowAlign), otherwise over columns (batch-1 forward passes); one
     * thread for products under a megaflop, where a fork costs more than it saves.
     */
    static void split(Parallel par, int m, int n, int k, int rowAlign, int colAlign, Block body) {
        split(par, m, n, k, rowAlign, colAlign, false, body);
    }

    /**
     * As above; with {@code wideByColumns}, a C wider than it is tall is split over columns, so
     * that each thread packs only its share of B (a split over rows has every thread pack all of B).
     */
    static void split(Parallel par, int m, int n, int k, int rowAlign, int colAlign, boolean wideByColumns,
                      Block body) {
        if (m == 0 || n == 0) {
            return;
        }
        int grain = grain(m, n, k);
        if (splitsByRows(par.threads(), m, n, rowAlign, colAlign, wideByColumns)) {
            par.forRange(m, Math.min(grain, m), rowAlign, (chunk, from, to) -> body.run(from, to, 0, n));
        } else {
            par.forRange(n, Math.min(grain, n), colAlign, (chunk, from, to) -> body.run(0, m, from, to));
        }
    }

    /** Whether {@link #split} splits this product over rows of C (otherwise over columns). */
    static boolean splitsByRows(int threads, int m, int n, int rowAlign, int colAlign, boolean wideByColumns) {
        return wideByColumns ? m >= n || n < colAlign * threads : m >= rowAlign * threads || n < 64;
    }

    /** The forRange grain of a product: one chunk under 2^18 flops, where a fork costs more than it saves. */
    static int grain(int m, int n, int k) {
        return 2L * m * n * k < 1 << 18 ? Integer.MAX_VALUE : 1;
    }

    /** C[i0..i1)[j0..j1) *= beta, with beta == 0 meaning "ignore C" (NaN included), as in BLAS. */
    static void scale(float beta, float[] c, int cOff, int n, int i0, int i1, int j0, int j1) {
        for (int i = i0; i < i1; i++) {
            int row = cOff + i * n;
            if (beta == 0) {
                java.util.Arrays.fill(c, row + j0, row + j1, 0f);
            } else if (beta != 1) {
                for (int j = j0; j < j1; j++) {
                    c[row + j] *= beta;
                }
            }
        }
    }

    private static void block(boolean transA, boolean transB, int i0, int i1, int j0, int j1, int m, int n, int k,
                              float alpha, float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        scale(beta, c, cOff, n, i0, i1, j0, j1);
        if (k == 0) {
            return;
        }
        float[][] panel = PANEL.get();
        float[] acc = ACC.get();
        for (int jb = j0; jb < j1; jb += NC) {
            int nb = Math.min(NC, j1 - jb);
            for (int pb = 0; pb < k; pb += KC) {
                int kb = Math.min(KC, k - pb);
                pack(transB, b, bOff, n, k, pb, kb, jb, nb, panel);
                for (int i = i0; i < i1; i++) {
                    java.util.Arrays.fill(acc, 0, nb, 0f);
                    for (int p = 0; p < kb; p++) {
                        float av = alpha * (transA ? a[aOff + (pb + p) * m + i] : a[aOff + i * k + pb + p]);
                        axpy(av, panel[p], acc, nb);
                    }
                    int cRow = cOff + i * n + jb;
                    for (int j = 0; j < nb; j++) {
                        c[cRow + j] += acc[j];
                    }
                }
            }
        }
    }

    /** y[0..n) += a * x[0..n): no offsets, so C2 vectorizes it (see the class comment). */
    private static void axpy(float a, float[] x, float[] y, int n) {
        for (int j = 0; j < n; j++) {
            y[j] += a * x[j];
        }
    }

    /** panel[p][j] = op(B)[pb + p][jb + j] for p < kb, j < nb. */
    private static void pack(boolean transB, float[] b, int bOff, int n, int k, int pb, int kb, int jb, int nb,
                             float[][] panel) {
        if (!transB) {
            for (int p = 0; p < kb; p++) {
                System.arraycopy(b, bOff + (pb + p) * n + jb, panel[p], 0, nb);
            }
        } else {
            for (int j = 0; j < nb; j++) {
                int src = bOff + (jb + j) * k + pb;
                for (int p = 0; p < kb; p++) {
                    panel[p][j] = b[src + p];
                }
            }
        }
    }
}
