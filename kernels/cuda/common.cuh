// descent CUDA kernels: shared definitions.
//
// Every kernel is extern "C" (unmangled names, loaded by name through the driver API) and
// written so that it compiles both with nvcc and, through native/emu/cuda_emu.h, as plain C++
// for the CPU emulation that CI runs. Slot numbers mirror dev/descent/Control.java; a unit test
// parses this file and compares them.
#pragma once

#define SLOT_STEP 0
#define SLOT_SKIP 1
#define SLOT_CLIP_SCALE 2
#define SLOT_NORM_SQ 3
#define SLOT_BATCH_LOSS 4
#define SLOT_BATCH_CORRECT 5
#define SLOT_LOSS_SUM 6
#define SLOT_CORRECT_SUM 7
#define SLOT_SAMPLE_SUM 8
#define SLOT_BAD_STREAK 9
#define SLOT_BAD_TOTAL 10
#define SLOT_BAD_STREAK_START 11
#define SLOT_MU_PRODUCT 12
#define SLOT_EVAL_LOSS_SUM 13
#define SLOT_EVAL_CORRECT_SUM 14
#define SLOT_HALTED 15
#define SLOT_PENDING 16
#define SLOT_OUTPUT_BAD 17
#define SLOT_LAST_BATCH 18
#define SLOT_OVERFLOW_TOTAL 19

// Activation codes: the ordinals of dev.descent.Activation.
#define ACT_IDENTITY 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_SIGMOID 3
#define ACT_TANH 4
#define ACT_GELU 5

#define LEAKY_SLOPE 0.01f
#define GELU_C 0.7978845608028654f
#define GELU_A 0.044715f

// Threads per block of the fixed-size reductions (a power of two) and the number of blocks of
// their first stage. The grid never depends on timing or occupancy, so sums are deterministic.
#define REDUCE_THREADS 256
#define REDUCE_BLOCKS 256

#define GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

// Comparisons rather than fminf/fmaxf: those return the non-NaN operand, which would turn a NaN
// gradient into +-clip and hide it from the non-finite guard.
__device__ inline float clamp_grad(float g, float clip) {
    if (clip <= 0.0f) return g;
    return g > clip ? clip : (g < -clip ? -clip : g);
}

// Saturating activations are written in cancellation-free forms: 1 - tanh(x)^2 and s(1 - s)
// lose all precision in float once |x| > ~4 (1 - t^2 is then ~1e-4, within a few ulps of t of
// zero), and 1 + tanh(u) does the same for u < 0. With a = exp(-2|x|):
//   sech^2(x) = 4a / (1 + a)^2,  1 + tanh(u) = 2a / (1 + a) for u < 0,
// and with a = exp(-|z|): sigmoid'(z) = a / (1 + a)^2.
__device__ inline float sech2(float x) {
    float a = expf(-2.0f * fabsf(x));
    return 4.0f * a / ((1.0f + a) * (1.0f + a));
}

__device__ inline float one_plus_tanh(float u) {
    if (u >= 0.0f) return 1.0f + tanhf(u);
    float a = expf(2.0f * u);
    return 2.0f * a / (1.0f + a);
}

__device__ inline float activate(int act, float z) {
    switch (act) {
        case ACT_RELU: return z > 0.0f ? z : 0.0f;
        case ACT_LEAKY_RELU: return z > 0.0f ? z : LEAKY_SLOPE * z;
        case ACT_SIGMOID: return 1.0f / (1.0f + expf(-z));
        case ACT_TANH: return tanhf(z);
        case ACT_GELU: return 0.5f * z * one_plus_tanh(GELU_C * (z + GELU_A * z * z * z));
        default: return z;
    }
}

__device__ inline float activate_derivative(int act, float z) {
    switch (act) {
        case ACT_RELU: return z > 0.0f ? 1.0f : 0.0f;
        case ACT_LEAKY_RELU: return z > 0.0f ? 1.0f : LEAKY_SLOPE;
        case ACT_SIGMOID: { float a = expf(-fabsf(z)); return a / ((1.0f + a) * (1.0f + a)); }
        case ACT_TANH: return sech2(z);
        case ACT_GELU: {
            float u = GELU_C * (z + GELU_A * z * z * z);
            float du = GELU_C * (1.0f + 3.0f * GELU_A * z * z);
            return 0.5f * one_plus_tanh(u) + 0.5f * z * sech2(u) * du;
        }
        default: return 1.0f;
    }
}

// Block-wide sum of one double per thread through shared memory (tree, fixed order).
// Every thread of the block must call it; the result is valid in thread 0.
__device__ inline double block_sum(double v, double* shared) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if ((int)threadIdx.x < s) {
            shared[threadIdx.x] += shared[threadIdx.x + s];
        }
        __syncthreads();
    }
    return shared[0];
}
