// SGEMM for hosts where cuBLAS cannot load: C = alpha * op(A) * op(B) + beta * C, row-major,
// op(A) m x k (A stored k x m when transA), op(B) k x n (B stored n x k when transB).
//
// Version 1 (this one): 128 x 128 output tile per block, K in steps of 8 through shared memory,
// 256 threads each holding an 8 x 8 register block (two 4-wide strips in each direction so the
// shared-memory reads are float4 and broadcast-friendly). Edge tiles load zeros outside the
// matrix, so any shape is correct; stores are bounds-checked. Global loads are mapped so that
// consecutive threads read consecutive addresses for every transpose combination.
// beta == 0 ignores C (NaN included), as BLAS does.
#include "common.cuh"

#define BM 128
#define BN 128
#define BK 8

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
