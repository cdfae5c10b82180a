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

// One thread's share of each k-tile of op(A) (TM x TK) and op(B) (TK x TN) in variants 2 and
// 3, 256 threads: one float4 of each, laid along the stored rows, fetched into registers and
// then staged into shared memory, transposed where the stored layout runs along k.
// A not transposed (m x k): row tid/(TK/4), k offset (tid%(TK/4))*4; transposed (k x m): k row
// tid/(TM/4), m offset (tid%(TM/4))*4. B alike with n for m. Rows past k_end read as zeros, so
// a split of variant 3 never reads its neighbour's range. Vector loads need 16-byte aligned
// rows: an aligned base and a leading dimension divisible by 4.
template <int TM, int TK, int TN>
struct TileLoader {
    const float* A;
    const float* B;
    int transA, transB, m, n, k_end, row0, col0;
    long long lda, ldb;
    bool vecA, vecB;
    int aR, aC, bR, bC;
    float4 a4, b4;

    __device__ TileLoader(int transA_, int transB_, int m_, int n_, int k, int k_end_, const float* A_,
                          const float* B_, int row0_, int col0_, int tid)
        : A(A_), B(B_), transA(transA_), transB(transB_), m(m_), n(n_), k_end(k_end_), row0(row0_), col0(col0_) {
        lda = transA ? m : k;
        ldb = transB ? k : n;
        vecA = ((reinterpret_cast<unsigned long long>(A) & 15) == 0) && (lda % 4 == 0);
        vecB = ((reinterpret_cast<unsigned long long>(B) & 15) == 0) && (ldb % 4 == 0);
        aR = transA ? tid / (TM / 4) : tid / (TK / 4);
        aC = transA ? (tid % (TM / 4)) * 4 : (tid % (TK / 4)) * 4;
        bR = transB ? tid / (TK / 4) : tid / (TN / 4);
        bC = transB ? (tid % (TK / 4)) * 4 : (tid % (TN / 4)) * 4;
    }

    // Global -> registers: the k-tile starting at kb.
    __device__ __forceinline__ void fetch(int kb) {
        a4 = transA ? load4(A, lda, kb + aR, row0 + aC, k_end, m, vecA) : load4(A, lda, row0 + aR, kb + aC, m, k_end, vecA);
        b4 = transB ? load4(B, ldb, col0 + bR, kb + bC, n, k_end, vecB) : load4(B, ldb, kb + bR, col0 + bC, k_end, n, vecB);
    }

    // Registers -> one shared buffer of each operand.
    __device__ __forceinline__ void stage(float (&As)[TK][TM], float (&Bs)[TK][TN]) {
        if (transA) { *reinterpret_cast<float4*>(&As[aR][aC]) = a4; }
        else { As[aC][aR] = a4.x; As[aC + 1][aR] = a4.y; As[aC + 2][aR] = a4.z; As[aC + 3][aR] = a4.w; }
        if (transB) { Bs[bC][bR] = b4.x; Bs[bC + 1][bR] = b4.y; Bs[bC + 2][bR] = b4.z; Bs[bC + 3][bR] = b4.w; }
        else { *reinterpret_cast<float4*>(&Bs[bR][bC]) = b4; }
    }
};

extern "C" __global__ void __launch_bounds__(256) gemm_tiled2(int transA, int transB, int m, int n, int k, float alpha,
                                                           const float* A, const float* B, float beta, float* C) {
    __shared__ __align__(16) float As[2][BK][BM];
    __shared__ __align__(16) float Bs[2][BK][BN];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int row0 = blockIdx.y * BM;
    const int col0 = blockIdx.x * BN;
    TileLoader<BM, BK, BN> tiles(transA, transB, m, n, k, k, A, B, row0, col0, tid);

    float acc[8][8];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

    tiles.fetch(0);
    tiles.stage(As[0], Bs[0]);
    __syncthreads();
    int buf = 0;
    for (int kb = 0; kb < k; kb += BK) {
        const bool more = kb + BK < k;
        if (more) tiles.fetch(kb + BK);
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
            tiles.stage(As[buf ^ 1], Bs[buf ^ 1]);
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
//    atomics) and applies alpha and beta. SplitKGemm (Java) chooses splits and chunk.
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
    TileLoader<BM3, BK3, BN3> tiles(transA, transB, m, n, k, k_end, A, B, row0, col0, tid);

    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    if (k_begin < k_end) {
        tiles.fetch(k_begin);
        tiles.stage(As[0], Bs[0]);
    }
    __syncthreads();
    int buf = 0;
    for (int kb = k_begin; kb < k_end; kb += BK3) {
        const bool more = kb + BK3 < k_end;
        if (more) tiles.fetch(kb + BK3);
        for (int kk = 0; kk < BK3; kk++) {
            float4 a = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
            float4 b = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
            float av[4] = {a.x, a.y, a.z, a.w};
            float bv[4] = {b.x, b.y, b.z, b.w};
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        if (more) {
            tiles.stage(As[buf ^ 1], Bs[buf ^ 1]);
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
