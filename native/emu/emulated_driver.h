// What the two halves of the emulated driver share: emulated_driver.cpp (context, modules,
// memory, copies, cuLaunchKernel) and emulated_graphs.cpp (streams, stream capture, graphs).
#pragma once

#include <cstdint>
#include <string>

#include "emu_core.h"

namespace drv {

// CUresult values from the driver API's cuda.h.
enum : int {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_ILLEGAL_STATE = 401,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
};

void report(const std::string& what);

// Whether the calling thread has made the context current (cuCtxSetCurrent).
bool context_current();

// cuLaunchKernel's checks and the launch itself, for a launch made now or a graph node run now:
// known kernel, no dynamic shared memory or `extra`, the GPU's launch limits, every non-null
// pointer argument inside device memory.
int run_kernel(int kernel, dim3 grid, dim3 block, void** params);

// The checks of a launch that do not depend on memory (for a kernel node when it is added).
int check_launch(int kernel, dim3 grid, dim3 block, unsigned shared_bytes, void** extra);

// A device-to-device copy made now, both ranges inside live allocations.
int copy_now(uint64_t dst, uint64_t src, size_t bytes);

// Stream capture (emulated_graphs.cpp). While a stream captures in global or thread-local mode,
// a call that would synchronise with it, or would be ordered on the legacy stream, is an error,
// as on a driver: it returns CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (or _IMPLICIT) and
// invalidates the capture. Returns CUDA_SUCCESS when no capture is under way.
int refuse_while_capturing(const char* call, bool legacy_stream_work);

// Work enqueued on `stream`: on a capturing stream it becomes a graph node (*status says
// whether that worked) and true is returned; false means "run it now".
bool capture_kernel(void* stream, int kernel, dim3 grid, dim3 block, void** params, int* status);
bool capture_copy(void* stream, uint64_t dst, uint64_t src, size_t bytes, int* status);

// Checks a stream handle: null (the legacy stream) or one cuStreamCreate made.
bool stream_valid(void* stream);

// Work this emulation does not capture (a fill; a copy from or to host memory, which a driver
// refuses to capture from pageable memory): on a capturing stream it is refused with
// CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and invalidates the capture. CUDA_SUCCESS otherwise.
int refuse_capture_of(void* stream, const char* call);

}  // namespace drv
