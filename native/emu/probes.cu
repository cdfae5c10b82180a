// Test-only kernels (emulator builds only, no PTX), each wrong in the one way an emulator
// mechanism exists to catch; CudaEmulationTest and EmulatorStopsTest assert that it does.
//
// The first two have a deliberately missing barrier, so their result depends on the order threads
// run in: forward order hides the first and exposes the second, reverse the opposite, and a random
// order exposes both; the race build (race_detector.h) reports both under every order. `salt`
// makes every launch write new values, so a stale value left in (static) shared memory by an
// earlier launch cannot pass for a fresh one.

// Each thread publishes a value, then reads its lower neighbour's without a barrier.
extern "C" __global__ void probe_read_lower(float salt, float* out) {
    __shared__ float s[256];
    s[threadIdx.x] = threadIdx.x + salt;
    out[threadIdx.x] = threadIdx.x > 0 ? s[threadIdx.x - 1] : salt - 1;  // missing __syncthreads() above
    __syncthreads();
}

// Each thread publishes a value, then reads its upper neighbour's without a barrier.
extern "C" __global__ void probe_read_upper(float salt, float* out) {
    __shared__ float s[256];
    s[threadIdx.x] = threadIdx.x + salt;
    out[threadIdx.x] = threadIdx.x + 1 < blockDim.x ? s[threadIdx.x + 1] : threadIdx.x + 1 + salt;  // missing barrier
    __syncthreads();
}

// A barrier on one path only: launched first with sync = 0 it reaches no barrier, so the
// emulator runs it barrier-free from then on; a later launch with sync = 1 must stop the process
// with a message rather than run a barrier it cannot honour (EmulatorStopsTest).
extern "C" __global__ void probe_late_barrier(int sync, float* out) {
    if (sync) {
        __syncthreads();
    }
    out[threadIdx.x] = threadIdx.x;
}

// Reads its shared array before writing it: every block must see the emulator's NaN fill, never
// the values the previous block left (CudaEmulationTest.sharedMemoryStartsAsNaNInEveryBlock).
extern "C" __global__ void probe_shared_poison(float* out) {
    __shared__ float s[64];
    out[blockIdx.x * blockDim.x + threadIdx.x] = s[threadIdx.x];
    __syncthreads();
    s[threadIdx.x] = threadIdx.x;
}

// Writes one float past the end of an n-float buffer: the guard page after every emulated
// allocation must stop it (EmulatorStopsTest runs it in a child JVM).
extern "C" __global__ void probe_write_past_end(int n, float* out) {
    if (threadIdx.x == 0) {
        out[n] = 1.0f;
    }
}

// Every block writes the same words of global memory: blocks are unordered, so which value
// survives is up to the GPU. Any one order gives a plausible result, so only the race build
// catches it.
extern "C" __global__ void probe_blocks_collide(float* out) {
    out[threadIdx.x] = blockIdx.x;
}
