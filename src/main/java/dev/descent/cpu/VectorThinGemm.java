package dev.descent.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM for thin products, where {@link VectorGemm}'s packing costs as much as the product:
 * a few rows of op(A) (batch-1 forward and input-gradient passes, m = 1) or a short inner
 * dimension (batch-1 weight gradients, k = 1, an outer product). Packing op(B) for one row of
 * C reads and writes all of B to use it once; here each row of C is computed straight from B:
 * row i of alpha op(A) is copied to a scratch row, then C[i, :] accumulates scratch[p] * B[p, :]
 * over p (B not transposed), or each C[i, j] is the dot product of the scratch row and row j of
 * B (B transposed), four columns at a time. Each element of C is summed in a fixed order.
 */
final class VectorThinGemm {
    private VectorThinGemm() {}

    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int L = S.length();

    /** Whether this kernel should take the product: few rows or a short inner dimension. */
    static boolean thin(int m, int k) {
        return m <= 4 || k <= 4;
    }

    private static final ScratchFloats ROW = new ScratchFloats();

    static void gemm(Parallel par, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        CpuGemm.split(par, m, n, k, 1, L, (i0, i1, j0, j1) -> {
            float[] row = ROW.atLeast(k);
            for (int i = i0; i < i1; i++) {
                for (int p = 0; p < k; p++) {
                    row[p] = alpha * (transA ? a[aOff + p * m + i] : a[aOff + i * k + p]);
                }
                int cRow = cOff + i * n;
                if (transB) {
                    dots(row, k, b, bOff, j0, j1, beta, c, cRow);
                } else if (k <= 4) {
                    rank(row, k, b, bOff, n, j0, j1, beta, c, cRow);
                } else {
                    axpys(row, k, b, bOff, n, j0, j1, beta, c, cRow);
                }
            }
        });
    }

    /**
     * The same for a short k (outer products: the weight gradient of one sample), one pass along
     * the row per p: the blocked loop below spent more on entering its k-loop than in it.
     */
    private static void rank(float[] row, int k, float[] b, int bOff, int n, int j0, int j1, float beta,
                             float[] c, int cRow) {
        int jv = j0 + S.loopBound(j1 - j0);
        for (int p = 0; p < k; p++) {
            float x = row[p];
            float scale = p > 0 ? 1f : beta;
            int bo = bOff + p * n;
            int j = j0;
            for (; j < jv; j += L) {
                FloatVector prod = FloatVector.fromArray(S, b, bo + j).mul(x);
                FloatVector acc = scale == 0 ? prod : FloatVector.fromArray(S, c, cRow + j).mul(scale).add(prod);
                acc.intoArray(c, cRow + j);
            }
            for (; j < j1; j++) {
                c[cRow + j] = (scale == 0 ? 0f : scale * c[cRow + j]) + x * b[bo + j];
            }
        }
    }

    /** c[cRow + j] = beta c + sum_p row[p] b[p][j] for j in [j0, j1), four vectors of columns at a time. */
    private static void axpys(float[] row, int k, float[] b, int bOff, int n, int j0, int j1, float beta,
                              float[] c, int cRow) {
        int j = j0;
        for (; j + 4 * L <= j1; j += 4 * L) {
            // Accumulators start from beta C, not zero: a vector handed to a helper to be added
            // to C afterwards was boxed (no inlining), and with k = 1 that made every store an allocation.
            int o = cRow + j;
            FloatVector s0, s1, s2, s3;
            if (beta == 0) {
                s0 = FloatVector.zero(S);
                s1 = FloatVector.zero(S);
                s2 = FloatVector.zero(S);
                s3 = FloatVector.zero(S);
            } else {
                s0 = FloatVector.fromArray(S, c, o).mul(beta);
                s1 = FloatVector.fromArray(S, c, o + L).mul(beta);
                s2 = FloatVector.fromArray(S, c, o + 2 * L).mul(beta);
                s3 = FloatVector.fromArray(S, c, o + 3 * L).mul(beta);
            }
            for (int p = 0; p < k; p++) {
                FloatVector x = FloatVector.broadcast(S, row[p]);
                int bo = bOff + p * n + j;
                s0 = x.fma(FloatVector.fromArray(S, b, bo), s0);
                s1 = x.fma(FloatVector.fromArray(S, b, bo + L), s1);
                s2 = x.fma(FloatVector.fromArray(S, b, bo + 2 * L), s2);
                s3 = x.fma(FloatVector.fromArray(S, b, bo + 3 * L), s3);
            }
            s0.intoArray(c, o);
            s1.intoArray(c, o + L);
            s2.intoArray(c, o + 2 * L);
            s3.intoArray(c, o + 3 * L);
        }
        for (; j + L <= j1; j += L) {
            FloatVector s = beta == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, c, cRow + j).mul(beta);
            for (int p = 0; p < k; p++) {
                s = FloatVector.broadcast(S, row[p]).fma(FloatVector.fromArray(S, b, bOff + p * n + j), s);
            }
            s.intoArray(c, cRow + j);
        }
        for (; j < j1; j++) {
            float s = 0f;
            for (int p = 0; p < k; p++) {
                s = Math.fma(row[p], b[bOff + p * n + j], s);
            }
            c[cRow + j] = scaled(beta, c[cRow + j]) + s;
        }
    }

    /** c[cRow + j] = beta c + row . b[j][0..k) for j in [j0, j1), four rows of B at a time. */
    private static void dots(float[] row, int k, float[] b, int bOff, int j0, int j1, float beta, float[] c, int cRow) {
        int kv = S.loopBound(k);
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
            int o0 = bOff + j * k, o1 = o0 + k, o2 = o1 + k, o3 = o2 + k;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            for (int p = 0; p < kv; p += L) {
                FloatVector x = FloatVector.fromArray(S, row, p);
                s0 = x.fma(FloatVector.fromArray(S, b, o0 + p), s0);
                s1 = x.fma(FloatVector.fromArray(S, b, o1 + p), s1);
                s2 = x.fma(FloatVector.fromArray(S, b, o2 + p), s2);
                s3 = x.fma(FloatVector.fromArray(S, b, o3 + p), s3);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD), d1 = s1.reduceLanes(VectorOperators.ADD);
            float d2 = s2.reduceLanes(VectorOperators.ADD), d3 = s3.reduceLanes(VectorOperators.ADD);
            for (int p = kv; p < k; p++) {
                d0 = Math.fma(row[p], b[o0 + p], d0);
                d1 = Math.fma(row[p], b[o1 + p], d1);
                d2 = Math.fma(row[p], b[o2 + p], d2);
                d3 = Math.fma(row[p], b[o3 + p], d3);
            }
            c[cRow + j] = scaled(beta, c[cRow + j]) + d0;
            c[cRow + j + 1] = scaled(beta, c[cRow + j + 1]) + d1;
            c[cRow + j + 2] = scaled(beta, c[cRow + j + 2]) + d2;
            c[cRow + j + 3] = scaled(beta, c[cRow + j + 3]) + d3;
        }
        for (; j < j1; j++) {
            int o = bOff + j * k;
            FloatVector s = FloatVector.zero(S);
            for (int p = 0; p < kv; p += L) {
                s = FloatVector.fromArray(S, row, p).fma(FloatVector.fromArray(S, b, o + p), s);
            }
            float d = s.reduceLanes(VectorOperators.ADD);
            for (int p = kv; p < k; p++) {
                d = Math.fma(row[p], b[o + p], d);
            }
            c[cRow + j] = scaled(beta, c[cRow + j]) + d;
        }
    }

    /** beta c, with beta == 0 meaning "ignore C" (NaN included), as in BLAS. */
    private static float scaled(float beta, float c) {
        return beta == 0 ? 0f : beta == 1 ? c : beta * c;
    }
}
