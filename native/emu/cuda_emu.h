// CPU emulation of the CUDA execution model, just enough to run descent's kernels unchanged.
//
// A launch runs its blocks one after another. Within a block, every CUDA thread is a fiber
// (ucontext) with its own stack, scheduled round-robin on one OS thread: __syncthreads() yields,
// and the block's fibers only pass it once every fiber still running has reached it, which is
// a real barrier (a fiber that returned early no longer counts, as exited threads on the GPU).
// __shared__ variables are function-static: only one block runs at a time, so static storage
// behaves like per-block shared memory. They all live in one section, which the emulator fills
// with NaN bytes before every block: a kernel that reads shared memory it did not write in that
// block sees NaN, as it might see garbage on a GPU, not a previous block's values. Fibers instead of OS threads make a barrier a
// context switch (~100 ns) rather than a futex round trip through the kernel.
#pragma once

#include <algorithm>
#include <cmath>
#include <math.h>
#include <cstdint>

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};

struct alignas(16) float4 {
    float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

namespace emu {
extern thread_local dim3 thread_idx;
extern thread_local dim3 block_idx;
extern thread_local dim3 block_dim;
extern thread_local dim3 grid_dim;
// Yields the current fiber until every live fiber of the block has arrived.
void syncthreads();
}  // namespace emu

#define threadIdx (emu::thread_idx)
#define blockIdx (emu::block_idx)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)

#define __global__
#define __device__
#define __host__
#define __shared__ static __attribute__((section("emu_shared")))
#define __align__(n) __attribute__((aligned(n)))
#define __forceinline__ inline
// Launch bounds only guide the GPU's register allocation; the emulator has nothing to bound.
#define __launch_bounds__(...)

inline void __syncthreads() { emu::syncthreads(); }

// Only one emulated thread runs at a time, so a plain read-modify-write is atomic. Atomics do not
// race with one another, so the race build leaves them unchecked (no instrumentation here).
__attribute__((no_sanitize_thread, noinline)) inline float atomicExch(float* address, float value) {
    float old = *address;
    *address = value;
    return old;
}

// expf, tanhf, sqrtf, fmaxf, fminf, fmaf, fmin, pow, sqrt, exp, log: C99 <math.h>, as on the device.
using std::isfinite;
