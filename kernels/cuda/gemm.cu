// SGEMM for hosts where cuBLAS cannot load: C = alpha * op(A) * op(B) + beta * C, row-major,
// op(A) m x k (A stored k x m when transA), op(B) k x n (B stored n x k when transB).
//
// Variant 1 (gemm_tiled): 128 x 128 output tile per block, K in steps of 8 through shared memory,
// 256 threads each holding an 8 x 8 register block (two 4-wide strips in each direction so the
// shared-memory reads are float4 and broadcast-friendly). Edge tiles load zeros outside the
// matrix, so any shape is correct; stores are bounds-checked. Global loads are mapped so that
// consecutive threads read consecutive addresses for every transpose combination.
// beta == 0 ignores C (NaN included), as BLAS does.
#include "common.cuh"

#define BM 128
#define BN 128
#define BK 8

// A thread's 8 x 8 results into C = alpha * acc + beta * C, bounds-checked (both variants).
// Rows ty*4..+3 and 64+ty*4..+3 of the tile, columns tx*4..+3 and 64+tx*4..+3; beta == 0 ignores C.
__device__ __forceinline__ void store_tile(float (&acc)[8][8], int row0, int col0, int tx, int ty, int m, int n,
                                           float alpha, float beta, float* C) {
    for (int i = 0; i < 8; i++) {
        int r = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
        if (r >= m) continue;
        for (int j = 0; j < 8; j++) {
            int c = col0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + (j - 4));
            if (c >= n) continue;
            long long idx = (long long)r * n + c;
            C[idx] = alpha * acc[i][j] + (beta == 0.0f ? 0.0f : beta * C[idx]);
        }
    }
}

extern "C" __global__ void gemm_tiled(int transA, int transB, int m, int n, int k, float alpha, const float* A,
                                      const float* B, float beta, float* C) {
    __shared__ __align__(16) float As[BK][BM];
    __shared__ __align__(16) float Bs[BK][BN];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int row0 = blockIdx.y * BM;
    const int col0 = blockIdx.x * BN;
    float acc[8][8];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

    for (int kb = 0; kb < k; kb += BK) {
        // A tile: BM x BK values, 4 per thread.
        for (int e = tid; e < BM * BK; e += 256) {
            int r, kk;
            if (transA) { r = e % BM; kk = e / BM; }   // stored k x m: rows of the tile are contiguous
            else { kk = e % BK; r = e / BK; }          // stored m x k: k is contiguous
            int gr = row0 + r, gk = kb + kk;
            float v = 0.0f;
            if (gr < m && gk < k) v = transA ? A[(long long)gk * m + gr] : A[(long long)gr * k + gk];
            As[kk][r] = v;
        }
        // B tile: BK x BN values, 4 per thread.
        for (int e = tid; e < BK * BN; e += 256) {
            int kk, c;
            if (transB) { kk = e % BK; c = e / BK; }   // stored n x k: k is contiguous
            else { c = e % BN; kk = e / BN; }          // stored k x n: n is contiguous
            int gk = kb + kk, gc = col0 + c;
            float v = 0.0f;
            if (gk < k && gc < n) v = transB ? B[(long long)gc * k + gk] : B[(long long)gk * n + gc];
            Bs[kk][c] = v;
        }
        __syncthreads();
        for (int kk = 0; kk < BK; kk++) {
            float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[kk][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][64 + tx * 4]);
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
    store_tile(acc, row0, col0, tx, ty, m, n, alpha, beta, C);
}

// Variant 2 (gemm_tiled2): variant 1's tiles and register blocking, plus
//  - 16-byte global loads: each thread fetches 4 consecutive floats of A and 4 of B per k-step
//    where the rows are 16-byte aligned and the tile lies inside the matrix, scalar loads with
//    zero fill elsewhere (so any shape and offset stays correct);
//  - double buffering: the next k-tile is loaded into registers while the current one is
//    multiplied out of shared memory, then stored to the other half of the shared buffers, so
//    global latency hides behind the FMAs and each k-step needs one barrier instead of two.

// Four consecutive elements of row r, starting at column c, of a rows x cols row-major matrix.
__device__ __forceinline__ float4 load4(const float* M, long long ld, int r, int c, int rows, int cols, bool vec) {
    if (vec && r < rows && c + 3 < cols) {
        return *reinterpret_cast<const float4*>(M + (long long)r * ld + c);
    }
    float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (r < rows) {
        const float* p = M + (long long)r * ld;
        if (c < cols) v.x = p[c];
        if (c + 1 < cols) v.y = p[c + 1];
        if (c + 2 < cols) v.z = p[c + 2];
        if (c + 3 < cols) v.w = p[c + 3];
    }
    return v;
}

extern "C" __global__ void __launch_bounds__(256) gemm_tiled2(int transA, int transB, int m, int n, int k, float alpha,
                                                           const float* A, const float* B, float beta, float* C) {
    __shared__ __align__(16) float As[2][BK][BM];
    __shared__ __align__(16) float Bs[2][BK][BN];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int row0 = blockIdx.y * BM;
    const int col0 = blockIdx.x * BN;
    // Vector loads need 16-byte aligned rows: an aligned base and a leading dimension divisible by 4.
    const long long lda = transA ? m : k;
    const long long ldb = transB ? k : n;
    const bool vecA = ((reinterpret_cast<unsigned long long>(A) & 15) == 0) && (lda % 4 == 0);
    const bool vecB = ((reinterpret_cast<unsigned long long>(B) & 15) == 0) && (ldb % 4 == 0);
    // Each thread's share of a k-tile: one float4 of A and one of B, laid along the stored rows.
    // A not transposed (m x k): row row0 + tid/2, k offset (tid%2)*4. Transposed (k x m): k row tid/32, m offset (tid%32)*4.
    // B not transposed (k x n): k row tid/32, n offset (tid%32)*4. Transposed (n x k): n row tid/2, k offset (tid%2)*4.
    const int aR = transA ? tid / 32 : tid / 2, aC = transA ? (tid % 32) * 4 : (tid % 2) * 4;
    const int bR = transB ? tid / 2 : tid / 32, bC = transB ? (tid % 2) * 4 : (tid % 32) * 4;

    float acc[8][8];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

    float4 a4, b4;
    // Registers -> shared buffer `buf`, transposing where the stored layout runs along k.
    auto stage = [&](int buf) {
        if (transA) { *reinterpret_cast<float4*>(&As[buf][aR][aC]) = a4; }
        else { As[buf][aC][aR] = a4.x; As[buf][aC + 1][aR] = a4.y; As[buf][aC + 2][aR] = a4.z; As[buf][aC + 3][aR] = a4.w; }
        if (transB) { Bs[buf][bC][bR] = b4.x; Bs[buf][bC + 1][bR] = b4.y; Bs[buf][bC + 2][bR] = b4.z; Bs[buf][bC + 3][bR] = b4.w; }
        else { *reinterpret_cast<float4*>(&Bs[buf][bR][bC]) = b4; }
    };
    auto fetch = [&](int kb) {
        a4 = transA ? load4(A, lda, kb + aR, row0 + aC, k, m, vecA) : load4(A, lda, row0 + aR, kb + aC, m, k, vecA);
        b4 = transB ? load4(B, ldb, col0 + bR, kb + bC, n, k, vecB) : load4(B, ldb, kb + bR, col0 + bC, k, n, vecB);
    };

    fetch(0);
    stage(0);
    __syncthreads();
    int buf = 0;
    for (int kb = 0; kb < k; kb += BK) {
        const bool more = kb + BK < k;
        if (more) fetch(kb + BK);
        for (int kk = 0; kk < BK; kk++) {
            float4 a0 = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[buf][kk][64 + ty * 4]);
            float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
            float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][kk][64 + tx * 4]);
            float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (more) {
            // The other buffer was last read in the previous step, which every thread has left
            // (the barrier at its end), so it can be overwritten now.
            stage(buf ^ 1);
            __syncthreads();
            buf ^= 1;
        }
    }
    store_tile(acc, row0, col0, tx, ty, m, n, alpha, beta, C);
}

// Variant 3 (gemm_tiled3 + gemm_split_sum): for training shapes, where a batch of 64 leaves
// 128 x 128 tiles too few to fill a GPU (64 x 784 x 256 is 7 blocks on 132 SMs):
//  - 64 x 64 output tiles, 256 threads each holding a 4 x 4 register block, K in steps of 16,
//    with variant 2's 16-byte global loads and register-prefetched double buffering;
//  - split-K: the grid's x holds tilesX x splits blocks; block (tile, s) sums k in
//    [s * chunk, (s + 1) * chunk). With one split it writes C itself; with more, each split writes
//    its raw sums to ws[s][m][n] and gemm_split_sum adds the splits in order (deterministic: no
//    atomics) and applies alpha and beta. CudaOps.gemmTiled3 chooses splits and chunk.
#define BM3 64
#define BN3 64
#define BK3 16

extern "C" __global__ void __launch_bounds__(256) gemm_tiled3(int transA, int transB, int m, int n, int k, float alpha,
                                                           const float* A, const float* B, float beta, float* C,
                                                           int tiles_x, int chunk, float* ws) {
    __shared__ __align__(16) float As[2][BK3][BM3];
    __shared__ __align__(16) float Bs[2][BK3][BN3];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int split = blockIdx.x / tiles_x;
    const int col0 = (blockIdx.x % tiles_x) * BN3;
    const int row0 = blockIdx.y * BM3;
    const int k_begin = split * chunk;
    const int k_end = k - k_begin < chunk ? k : k_begin + chunk;
    const long long lda = transA ? m : k;
    const long long ldb = transB ? k : n;
    const bool vecA = ((reinterpret_cast<unsigned long long>(A) & 15) == 0) && (lda % 4 == 0);
    const bool vecB = ((reinterpret_cast<unsigned long long>(B) & 15) == 0) && (ldb % 4 == 0);
    // Each thread's share of a 64 x 16 (A) or 16 x 64 (B) k-tile: one float4 along the stored rows.
    // A not transposed (m x k): row tid/4, k offset (tid%4)*4. Transposed (k x m): k row tid/16, m offset (tid%16)*4.
    // B not transposed (k x n): k row tid/16, n offset (tid%16)*4. Transposed (n x k): n row tid/4, k offset (tid%4)*4.
    const int aR = transA ? tid / 16 : tid / 4, aC = transA ? (tid % 16) * 4 : (tid % 4) * 4;
    const int bR = transB ? tid / 4 : tid / 16, bC = transB ? (tid % 4) * 4 : (tid % 16) * 4;

    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    float4 a4, b4;
    auto stage = [&](int buf) {
        if (transA) { *reinterpret_cast<float4*>(&As[buf][aR][aC]) = a4; }
        else { As[buf][aC][aR] = a4.x; As[buf][aC + 1][aR] = a4.y; As[buf][aC + 2][aR] = a4.z; As[buf][aC + 3][aR] = a4.w; }
        if (transB) { Bs[buf][bC][bR] = b4.x; Bs[buf][bC + 1][bR] = b4.y; Bs[buf][bC + 2][bR] = b4.z; Bs[buf][bC + 3][bR] = b4.w; }
        else { *reinterpret_cast<float4*>(&Bs[buf][bR][bC]) = b4; }
    };
    // Loads are bounded by k_end, not k: a split reads zeros past its range, never its neighbour's.
    auto fetch = [&](int kb) {
        a4 = transA ? load4(A, lda, kb + aR, row0 + aC, k_end, m, vecA) : load4(A, lda, row0 + aR, kb + aC, m, k_end, vecA);
        b4 = transB ? load4(B, ldb, col0 + bR, kb + bC, n, k_end, vecB) : load4(B, ldb, kb + bR, col0 + bC, k_end, n, vecB);
    };

    if (k_begin < k_end) {
        fetch(k_begin);
        stage(0);
    }
    __syncthreads();
    int buf = 0;
    for (int kb = k_begin; kb < k_end; kb += BK3) {
        const bool more = kb + BK3 < k_end;
        if (more) fetch(kb + BK3);
        for (int kk = 0; kk < BK3; kk++) {
            float4 a = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
            float4 b = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
            float av[4] = {a.x, a.y, a.z, a.w};
            float bv[4] = {b.x, b.y, b.z, b.w};
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        if (more) {
            stage(buf ^ 1);
            __syncthreads();
            buf ^= 1;
        }
    }
    // One split: C = alpha * acc + beta * C. Several: this split's raw sums into ws[split].
    float* out = ws ? ws + (long long)split * m * n : C;
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty * 4 + i;
        if (r >= m) continue;
        for (int j = 0; j < 4; j++) {
            int c = col0 + tx * 4 + j;
            if (c >= n) continue;
            long long idx = (long long)r * n + c;
            out[idx] = ws ? acc[i][j] : alpha * acc[i][j] + (beta == 0.0f ? 0.0f : beta * C[idx]);
        }
    }
}

// C = alpha * (ws[0] + ws[1] + ... + ws[splits - 1]) + beta * C, the splits added in order.
extern "C" __global__ void gemm_split_sum(long long mn, int splits, const float* ws, float alpha, float beta, float* C) {
    GRID_STRIDE(i, mn) {
        float sum = 0.0f;
        for (int s = 0; s < splits; s++) sum += ws[s * mn + i];
        C[i] = alpha * sum + (beta == 0.0f ? 0.0f : beta * C[i]);
    }
}
