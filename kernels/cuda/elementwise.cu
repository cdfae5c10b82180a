// Element-wise ops: fill, row gather, fused bias + activation, activation backward.
//
// Version 1: one grid-stride loop per op, one element per thread iteration. These are memory
// bound and small next to the GEMMs around them; the fused epilogue is what matters: z += b and
// a = act(z) in one pass instead of two.
#include "common.cuh"

extern "C" __global__ void fill_kernel(float* x, long long n, float value) {
    GRID_STRIDE(i, n) { x[i] = value; }
}

// dst[r][c] = src[index[r]][c]; indices are exact integers stored as floats.
extern "C" __global__ void gather_rows(const float* src, int cols, const float* index, int rows, float* dst) {
    long long n = (long long)rows * cols;
    GRID_STRIDE(i, n) {
        long long r = i / cols;
        long long c = i - r * cols;
        long long from = (long long)index[r];
        dst[i] = src[from * cols + c];
    }
}

// z[r][c] += bias[c]; out[r][c] = act(z[r][c])
extern "C" __global__ void bias_activation(int act, int rows, int cols, float* z, const float* bias, float* out) {
    long long n = (long long)rows * cols;
    GRID_STRIDE(i, n) {
        float v = z[i] + bias[i % cols];
        z[i] = v;
        out[i] = activate(act, v);
    }
}

// gradZ[i] = gradOut[i] * act'(z[i])
extern "C" __global__ void activation_backward(int act, long long n, const float* z, const float* grad_out,
                                               float* grad_z) {
    GRID_STRIDE(i, n) { grad_z[i] = grad_out[i] * activate_derivative(act, z[i]); }
}
