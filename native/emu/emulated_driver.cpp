// A stand-in for the NVIDIA driver (libcuda.so.1) that serves the handful of driver API calls
// descent makes, on the emulated device of emu_core.h. Put its directory on LD_LIBRARY_PATH and
// JCuda's own native library binds to it: the unmodified JCudaDevice then runs on the CPU, so CI
// exercises JCuda's argument marshalling (kernelParams, device pointers with byte offsets, Java
// arrays as host memory) and JCudaDevice's own use of the driver, which no other test reaches
// without a GPU.
//
// It is stricter than a driver where that catches our mistakes:
//  - modules are the committed PTX files; every .entry must exist in the emulator with the same
//    parameter list (.u64 = pointer or long long, .u32 = int, .f32, .f64), and a PTX ISA newer
//    than the oldest driver we document (8.0, CUDA 12.0) is rejected as such a driver would;
//  - copies and pointer arguments must lie inside live allocations (CUDA_ERROR_ILLEGAL_ADDRESS
//    instead of silent corruption); dynamic shared memory and `extra` launch options, which
//    descent never uses, are refused.
//  - streams, stream capture and graphs (emulated_graphs.cpp) keep the driver's rules: a graph is
//    built from nodes and runs them in order on cuGraphLaunch, and a call that would synchronise
//    with a capturing stream fails and invalidates the capture.
// Everything else JCuda links against is left unresolved: the JVM loads libraries lazily, and a
// call we do not serve fails with "undefined symbol" naming it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "emulated_driver.h"

namespace {

using namespace drv;

// Driver 12.0 reads PTX ISA up to 8.0: the oldest driver the README promises to work with.
constexpr int DRIVER_VERSION = 12000;
constexpr int MAX_PTX_ISA_TENTHS = 80;
constexpr size_t TOTAL_BYTES = 16ull << 30;  // what cuMemGetInfo reports as the device's size
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

struct Module {
    std::map<std::string, int> kernels;  // .entry name -> emulator kernel index
};

std::mutex driver_mutex;
bool initialized = false;
int context_refs = 0;
int current_context_token = 0;  // the primary context's handle points here
std::map<Module*, std::unique_ptr<Module>> modules;

bool compatible(const std::string& ptx_type, int kind) {
    if (ptx_type == ".u64" || ptx_type == ".b64" || ptx_type == ".s64") return kind == emu::POINTER || kind == emu::LONG;
    if (ptx_type == ".u32" || ptx_type == ".b32" || ptx_type == ".s32") return kind == emu::INT;
    if (ptx_type == ".f32") return kind == emu::FLOAT;
    if (ptx_type == ".f64") return kind == emu::DOUBLE;
    return false;
}

// Reads the .version line and every .entry with its parameter types; checks them against the
// emulator's kernels. On a rejection, *why says what a JIT compiler's error log would.
int load_ptx(const char* text, Module& module, std::string* why) {
    std::istringstream in(text);
    std::string line, entry;
    std::vector<std::string> params;
    bool version_seen = false;
    auto finish_entry = [&]() -> int {
        int kernel = emu::find_kernel(entry);
        if (kernel < 0) {
            *why = "PTX entry " + entry + " has no emulated kernel";
            return CUDA_ERROR_INVALID_PTX;
        }
        const std::vector<int>& kinds = emu::kernel_kinds(kernel);
        bool same = kinds.size() == params.size();
        for (size_t i = 0; same && i < params.size(); i++) same = compatible(params[i], kinds[i]);
        if (!same) {
            *why = "PTX entry " + entry + " declares other parameters than the emulated kernel";
            return CUDA_ERROR_INVALID_PTX;
        }
        module.kernels[entry] = kernel;
        entry.clear();
        return CUDA_SUCCESS;
    };
    int number = 0;
    while (std::getline(in, line)) {
        number++;
        int major, minor;
        if (std::sscanf(line.c_str(), ".version %d.%d", &major, &minor) == 2) {
            version_seen = true;
            if (major * 10 + minor > MAX_PTX_ISA_TENTHS) {
                *why = "line " + std::to_string(number) + ": PTX ISA " + std::to_string(major) + "." +
                       std::to_string(minor) + " is newer than this driver's JIT compiler reads (8.0, CUDA 12.0)";
                return CUDA_ERROR_UNSUPPORTED_PTX_VERSION;
            }
        }
        size_t at = line.find(".entry ");
        if (at != std::string::npos) {
            size_t start = at + 7, end = line.find('(', start);
            entry = line.substr(start, end - start);
            params.clear();
        } else if (!entry.empty()) {
            size_t p = line.find(".param ");
            if (p != std::string::npos) {
                std::istringstream words(line.substr(p + 7));
                std::string type;
                words >> type;
                params.push_back(type);
            }
        }
        if (!entry.empty() && line.find(')') != std::string::npos) {
            int status = finish_entry();
            if (status != CUDA_SUCCESS) return status;
        }
    }
    if (!version_seen || module.kernels.empty()) {
        *why = version_seen ? "no .entry in the module" : "no .version directive: not PTX";
        return CUDA_ERROR_INVALID_IMAGE;
    }
    return CUDA_SUCCESS;
}

void* address(unsigned long long dptr) { return (void*)(uintptr_t)dptr; }

// As on a real driver, a context is current per thread: a call from a thread that has not made
// it current fails with CUDA_ERROR_INVALID_CONTEXT (so a backend used from a second thread must
// call cuCtxSetCurrent there, which is what JCudaDevice.makeCurrent does).
thread_local bool context_is_current = false;

}  // namespace

namespace drv {

void report(const std::string& what) { std::fprintf(stderr, "[emulated libcuda] %s\n", what.c_str()); }

bool context_current() { return context_is_current; }

int check_launch(int kernel, dim3 grid, dim3 block, unsigned shared_bytes, void** extra) {
    if (kernel < 0 || kernel >= emu::kernel_count()) return CUDA_ERROR_INVALID_HANDLE;
    if (shared_bytes != 0 || extra != nullptr) return CUDA_ERROR_NOT_SUPPORTED;
    bool resources;
    std::string refused = emu::launch_error(kernel, grid, block, &resources);
    if (!refused.empty()) {
        report("launch refused: " + refused);
        return resources ? CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES : CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

int run_kernel(int kernel, dim3 grid, dim3 block, void** params) {
    int status = check_launch(kernel, grid, block, 0, nullptr);
    if (status != CUDA_SUCCESS) return status;
    if (params == nullptr) return CUDA_ERROR_INVALID_VALUE;
    const std::vector<int>& kinds = emu::kernel_kinds(kernel);
    for (size_t i = 0; i < kinds.size(); i++) {
        if (kinds[i] != emu::POINTER) continue;
        void* p;
        std::memcpy(&p, params[i], sizeof p);
        // Null means "no such output" to our kernels; anything else must be device memory.
        if (p != nullptr && !emu::device_range_valid(p, 0)) {
            report(emu::kernel_name(kernel) + ": argument " + std::to_string(i) + " is not device memory");
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        }
    }
    // DESCENT_EMU_NO_KERNELS=1 checks every launch but runs none: what is left of a step's time
    // is the host's (Java, JCuda, this driver), the part CUDA Graphs change. For timing only.
    static const bool no_kernels = std::getenv("DESCENT_EMU_NO_KERNELS") != nullptr;
    if (no_kernels) return CUDA_SUCCESS;
    std::string races = emu::launch(kernel, grid, block, params);
    if (!races.empty()) {
        report("data races (race build): " + races);
        return CUDA_ERROR_LAUNCH_FAILED;
    }
    return CUDA_SUCCESS;
}

int copy_now(uint64_t dst, uint64_t src, size_t bytes) {
    if (!emu::device_range_valid(address(dst), bytes) || !emu::device_range_valid(address(src), bytes)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    std::memmove(address(dst), address(src), bytes);
    return CUDA_SUCCESS;
}

}  // namespace drv

extern "C" {

int cuInit(unsigned int) {
    std::lock_guard<std::mutex> lock(driver_mutex);
    if (!initialized) report("CPU emulation of the CUDA driver (descent native/emu), not a GPU");
    initialized = true;
    return CUDA_SUCCESS;
}

int cuDriverGetVersion(int* version) {
    *version = DRIVER_VERSION;
    return CUDA_SUCCESS;
}

int cuDeviceGetCount(int* count) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    *count = 1;
    return CUDA_SUCCESS;
}

int cuDeviceGet(int* device, int ordinal) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}

int cuDeviceGetName(char* name, int length, int device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::snprintf(name, (size_t)length, "%s", "descent emulated driver (CPU)");
    return CUDA_SUCCESS;
}

int cuDeviceGetAttribute(int* value, int attribute, int device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (attribute == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) *value = 7;
    else if (attribute == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR) *value = 5;
    else return CUDA_ERROR_NOT_SUPPORTED;
    return CUDA_SUCCESS;
}

int cuDevicePrimaryCtxRetain(void** context, int device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> lock(driver_mutex);
    context_refs++;
    *context = &current_context_token;
    return CUDA_SUCCESS;
}

int cuDevicePrimaryCtxRelease_v2(int device) {
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    std::lock_guard<std::mutex> lock(driver_mutex);
    if (context_refs == 0) return CUDA_ERROR_INVALID_CONTEXT;
    context_refs--;
    return CUDA_SUCCESS;
}

#define REQUIRE_CONTEXT() \
    if (!context_is_current) return CUDA_ERROR_INVALID_CONTEXT

// A call that a capturing stream forbids returns its error (and invalidates the capture).
#define REFUSE_WHILE_CAPTURING(legacy) \
    if (int refused = refuse_while_capturing(__func__, legacy)) return refused

// DESCENT_EMU_NO_LEGACY_STREAM=1: work on the legacy default stream (a synchronous copy or fill,
// or an asynchronous one or a launch given the null stream) is an error. descent puts all its
// work on a stream of its own; the suites that run descent alone set this to prove it.
static bool legacy_stream_refused(const char* call) {
    static const bool refuse = std::getenv("DESCENT_EMU_NO_LEGACY_STREAM") != nullptr;
    if (refuse) report(std::string(call) + " on the legacy stream, which DESCENT_EMU_NO_LEGACY_STREAM forbids");
    return refuse;
}

#define LEGACY_STREAM_WORK() \
    if (legacy_stream_refused(__func__)) return CUDA_ERROR_INVALID_VALUE

int cuCtxSetCurrent(void* context) {
    if (context != nullptr && context != &current_context_token) return CUDA_ERROR_INVALID_CONTEXT;
    context_is_current = context != nullptr;
    return CUDA_SUCCESS;
}

int cuCtxSynchronize() {
    REQUIRE_CONTEXT();
    REFUSE_WHILE_CAPTURING(false);
    return CUDA_SUCCESS;  // launches run to completion when made
}

// CUjit_option values from cuda.h: the error log buffer and its size (in: capacity, out: bytes written).
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

int cuModuleLoadDataEx(void** module, const void* image, unsigned int count, int* options, void** values) {
    REQUIRE_CONTEXT();
    if (context_refs == 0) return CUDA_ERROR_INVALID_CONTEXT;
    auto loaded = std::make_unique<Module>();
    std::string why;
    int status = load_ptx((const char*)image, *loaded, &why);
    // A driver fills the error log when asked, as the JIT compiler words it, and sets the size
    // option to the bytes written (the log's NUL included); it writes nothing on success.
    char* log = nullptr;
    int size_at = -1;
    for (unsigned int i = 0; i < count; i++) {
        if (options[i] == CU_JIT_ERROR_LOG_BUFFER) log = (char*)values[i];
        if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) size_at = (int)i;
    }
    if (size_at >= 0) {
        size_t capacity = (size_t)(uintptr_t)values[size_at];
        size_t written = 0;
        if (status != CUDA_SUCCESS && log != nullptr && capacity > 0) {
            written = std::min(why.size(), capacity - 1);
            std::memcpy(log, why.data(), written);
            log[written++] = 0;
        }
        values[size_at] = (void*)(uintptr_t)written;
    }
    if (status != CUDA_SUCCESS) {
        report("module rejected: " + why);
        return status;
    }
    std::lock_guard<std::mutex> lock(driver_mutex);
    Module* handle = loaded.get();
    modules[handle] = std::move(loaded);
    *module = handle;
    return CUDA_SUCCESS;
}

int cuModuleLoadData(void** module, const void* image) { return cuModuleLoadDataEx(module, image, 0, nullptr, nullptr); }

int cuModuleUnload(void* module) {
    std::lock_guard<std::mutex> lock(driver_mutex);
    return modules.erase((Module*)module) == 1 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

// A function handle is the emulator's kernel index + 1, so it is never null.
int cuModuleGetFunction(void** function, void* module, const char* name) {
    REQUIRE_CONTEXT();
    std::lock_guard<std::mutex> lock(driver_mutex);
    auto m = modules.find((Module*)module);
    if (m == modules.end()) return CUDA_ERROR_INVALID_HANDLE;
    auto k = m->second->kernels.find(name);
    if (k == m->second->kernels.end()) return CUDA_ERROR_NOT_FOUND;
    *function = (void*)(uintptr_t)(k->second + 1);
    return CUDA_SUCCESS;
}

int cuMemAlloc_v2(unsigned long long* dptr, size_t bytes) {
    REQUIRE_CONTEXT();
    REFUSE_WHILE_CAPTURING(false);
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    void* p = emu::device_alloc(bytes);
    if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
    *dptr = (unsigned long long)(uintptr_t)p;
    return CUDA_SUCCESS;
}

int cuMemFree_v2(unsigned long long dptr) {
    REQUIRE_CONTEXT();
    REFUSE_WHILE_CAPTURING(false);
    return emu::device_free(address(dptr)) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

int cuMemGetInfo_v2(size_t* free, size_t* total) {
    REQUIRE_CONTEXT();
    *total = TOTAL_BYTES;
    *free = TOTAL_BYTES - (size_t)emu::device_bytes_in_use();
    return CUDA_SUCCESS;
}

int cuMemsetD32_v2(unsigned long long dst, unsigned int value, size_t count) {
    REQUIRE_CONTEXT();
    LEGACY_STREAM_WORK();
    REFUSE_WHILE_CAPTURING(true);
    if (!emu::device_range_valid(address(dst), count * 4)) return CUDA_ERROR_INVALID_VALUE;
    unsigned int* p = (unsigned int*)address(dst);
    for (size_t i = 0; i < count; i++) p[i] = value;
    return CUDA_SUCCESS;
}

int cuMemcpyHtoD_v2(unsigned long long dst, const void* src, size_t bytes) {
    REQUIRE_CONTEXT();
    LEGACY_STREAM_WORK();
    REFUSE_WHILE_CAPTURING(true);
    if (!emu::device_range_valid(address(dst), bytes)) return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(address(dst), src, bytes);
    return CUDA_SUCCESS;
}

int cuMemcpyDtoH_v2(void* dst, unsigned long long src, size_t bytes) {
    REQUIRE_CONTEXT();
    LEGACY_STREAM_WORK();
    REFUSE_WHILE_CAPTURING(true);
    if (!emu::device_range_valid(address(src), bytes)) return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(dst, address(src), bytes);
    return CUDA_SUCCESS;
}

int cuMemcpyDtoDAsync_v2(unsigned long long dst, unsigned long long src, size_t bytes, void* stream) {
    REQUIRE_CONTEXT();
    if (!stream_valid(stream)) return CUDA_ERROR_INVALID_HANDLE;
    int status;
    if (capture_copy(stream, dst, src, bytes, &status)) return status;
    if (stream == nullptr) {
        LEGACY_STREAM_WORK();
        REFUSE_WHILE_CAPTURING(true);
    }
    return copy_now(dst, src, bytes);
}

// What the asynchronous fill and host copies check first: the stream; on the legacy stream, the
// rules for legacy work; on a capturing stream, that it is not captured here.
static int host_work_refused(void* stream, const char* call) {
    if (!stream_valid(stream)) return CUDA_ERROR_INVALID_HANDLE;
    if (stream == nullptr) {
        if (legacy_stream_refused(call)) return CUDA_ERROR_INVALID_VALUE;
        if (int refused = refuse_while_capturing(call, true)) return refused;
    }
    return refuse_capture_of(stream, call);
}

// The asynchronous fill and host copies. The emulation runs work when it is enqueued, so these
// finish before they return, which a driver allows: a copy to pageable host memory returns only
// once it is done, and a copy from it once the data has been staged.
int cuMemsetD32Async(unsigned long long dst, unsigned int value, size_t count, void* stream) {
    REQUIRE_CONTEXT();
    if (int refused = host_work_refused(stream, __func__)) return refused;
    if (!emu::device_range_valid(address(dst), count * 4)) return CUDA_ERROR_INVALID_VALUE;
    unsigned int* p = (unsigned int*)address(dst);
    for (size_t i = 0; i < count; i++) p[i] = value;
    return CUDA_SUCCESS;
}

int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t bytes, void* stream) {
    REQUIRE_CONTEXT();
    if (int refused = host_work_refused(stream, __func__)) return refused;
    if (!emu::device_range_valid(address(dst), bytes)) return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(address(dst), src, bytes);
    return CUDA_SUCCESS;
}

int cuMemcpyDtoHAsync_v2(void* dst, unsigned long long src, size_t bytes, void* stream) {
    REQUIRE_CONTEXT();
    if (int refused = host_work_refused(stream, __func__)) return refused;
    if (!emu::device_range_valid(address(src), bytes)) return CUDA_ERROR_INVALID_VALUE;
    std::memcpy(dst, address(src), bytes);
    return CUDA_SUCCESS;
}

int cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared_bytes, void* stream, void** params, void** extra) {
    REQUIRE_CONTEXT();
    if (!stream_valid(stream)) return CUDA_ERROR_INVALID_HANDLE;
    int kernel = (int)(uintptr_t)function - 1;
    dim3 grid{gx, gy, gz}, block{bx, by, bz};
    int status = check_launch(kernel, grid, block, shared_bytes, extra);
    if (status != CUDA_SUCCESS) return status;
    if (capture_kernel(stream, kernel, grid, block, params, &status)) return status;
    if (stream == nullptr) {
        LEGACY_STREAM_WORK();
        REFUSE_WHILE_CAPTURING(true);
    }
    return run_kernel(kernel, grid, block, params);
}

// For the emulated cuBLAS (emulated_cublas.cpp), which runs its GEMMs as launches of descent's
// own kernels through this driver: the handle cuModuleGetFunction would give kernel `name`.
int descentEmuKernelHandle(const char* name, void** function) {
    int kernel = emu::find_kernel(name);
    if (kernel < 0) return CUDA_ERROR_NOT_FOUND;
    *function = (void*)(uintptr_t)(kernel + 1);
    return CUDA_SUCCESS;
}

}  // extern "C"
