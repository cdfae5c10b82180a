// The emulated CUDA device shared by descent's two front ends: the JNI library behind
// dev.descent.cuda.EmulatedDevice (emu_jni.cpp) and the stand-in libcuda.so.1 that lets the real
// JCuda binding run on the CPU (emulated_driver.cpp). Device memory is host memory; kernels are
// the .cu sources compiled as C++ (cuda_emu.h) and looked up by name.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cuda_emu.h"

namespace emu {

// Argument kinds, numbered as dev.descent.cuda.KernelArgs numbers them.
enum Kind { POINTER = 0, INT = 1, FLOAT = 2, DOUBLE = 3, LONG = 4 };

int kernel_count();
// The thread and block visiting order for later launches: "forward", "reverse", "random[:SEED]".
bool set_order(const std::string& spec);
// Index of the kernel called name, or -1.
int find_kernel(const std::string& name);
const std::string& kernel_name(int kernel);
// The kind of each parameter, in order, taken from the kernel's C++ signature.
const std::vector<int>& kernel_kinds(int kernel);
// Why a GPU would refuse this launch (kernels/cuda/launch_limits.txt and the hardware limits of
// compute capability 7.5 and later), or "" when it would not. *too_many_resources is set when
// the cause is registers or shared memory (a driver's CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES).
std::string launch_error(int kernel, dim3 grid, dim3 block, bool* too_many_resources);
long kernel_launches(int kernel);

// Runs every block of the grid; args[i] points at the value of parameter i (the driver's
// kernelParams convention). Launches are serialised. Returns "" or, in the race build (see
// race_detector.h), a description of the launch's data races.
std::string launch(int kernel, dim3 grid, dim3 block, void** args);

// Zero-filled, 256-byte aligned; nullptr when out of memory.
void* device_alloc(size_t bytes);
// False when p is not the start of a live allocation.
bool device_free(void* p);
long device_bytes_in_use();
// True when [p, p + bytes) lies inside one live allocation.
bool device_range_valid(const void* p, size_t bytes);

}  // namespace emu
