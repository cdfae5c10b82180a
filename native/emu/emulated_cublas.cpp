// A stand-in for CUDA 13's libcublas.so.13 on the emulated driver, for tests only: with it beside
// the emulated libcuda.so.1, descent's own libcublas.so.12 forwarder (native/cublas12) loads, and
// JCublas, CublasGemm and the forwarder run unmodified without a GPU. It serves the six calls
// descent makes. SGEMM is a launch of descent's gemm_tiled kernel through the emulated driver on
// the handle's stream, so a GEMM on a capturing stream becomes a graph node, as a real cuBLAS
// call does.
//
// cuBLAS is column-major: C (m x n, ldc) = alpha op(A) op(B) + beta C. Read row-major, the same
// memory holds C^T (n x m) = op(B)^T op(A)^T, with B's memory as the first operand and A's as the
// second, each transposed as cuBLAS was told. descent's kernel takes packed row-major operands, so
// leading dimensions other than the packed ones are refused (CUBLAS_STATUS_NOT_SUPPORTED): the
// check doubles as a test of the leading dimensions CublasGemm passes.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>

extern "C" {
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**);
int descentEmuKernelHandle(const char* name, void** function);
}

namespace {

// cublasStatus_t and cublasOperation_t values from cublas_api.h.
enum : int {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
};
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;

struct Handle {
    void* stream = nullptr;
    void* workspace = nullptr;
    size_t workspace_bytes = 0;
    int math_mode = 0;
};

std::mutex handles_mutex;
std::set<Handle*> handles;

bool valid(Handle* h) {
    std::lock_guard<std::mutex> lock(handles_mutex);
    return handles.count(h) == 1;
}

}  // namespace

extern "C" {

int cublasCreate_v2(Handle** handle) {
    std::lock_guard<std::mutex> lock(handles_mutex);
    Handle* h = new Handle();
    handles.insert(h);
    *handle = h;
    return CUBLAS_STATUS_SUCCESS;
}

int cublasDestroy_v2(Handle* handle) {
    std::lock_guard<std::mutex> lock(handles_mutex);
    if (handles.erase(handle) == 0) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

int cublasSetMathMode(Handle* handle, int mode) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->math_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

// As cuBLAS documents: setting a stream resets the workspace to the library's own pool.
int cublasSetStream_v2(Handle* handle, void* stream) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    handle->workspace = nullptr;
    handle->workspace_bytes = 0;
    return CUBLAS_STATUS_SUCCESS;
}

int cublasSetWorkspace_v2(Handle* handle, void* workspace, size_t bytes) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (bytes > 0 && workspace == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
    handle->workspace = workspace;
    handle->workspace_bytes = bytes;
    return CUBLAS_STATUS_SUCCESS;
}

int cublasSgemm_v2(Handle* handle, int transa, int transb, int m, int n, int k, const float* alpha,
                   const float* a, int lda, const float* b, int ldb, const float* beta, float* c, int ldc) {
    if (!valid(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    bool ta = transa == CUBLAS_OP_T, tb = transb == CUBLAS_OP_T;
    if ((transa != CUBLAS_OP_N && !ta) || (transb != CUBLAS_OP_N && !tb) || m < 0 || n < 0 || k < 0) {
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (lda != (ta ? k : m) || ldb != (tb ? n : k) || ldc != m) {
        std::fprintf(stderr, "[emulated cublas] leading dimensions %d %d %d are not the packed ones\n", lda, ldb, ldc);
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    void* gemm;
    if (descentEmuKernelHandle("gemm_tiled", &gemm) != 0) return CUBLAS_STATUS_EXECUTION_FAILED;
    // Row-major C^T (n x m) = op(B's memory) op(A's memory): rows n, columns m, depth k.
    int trans_first = tb, trans_second = ta, rows = n, cols = m, depth = k;
    float alpha_value = *alpha, beta_value = *beta;
    const float* first = b;
    const float* second = a;
    void* params[] = {&trans_first, &trans_second, &rows, &cols, &depth, &alpha_value, &first, &second,
                      &beta_value, &c};
    int status = cuLaunchKernel(gemm, (unsigned)(cols + 127) / 128, (unsigned)(rows + 127) / 128, 1, 256, 1, 1, 0,
                                handle->stream, params, nullptr);
    return status == 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

}  // extern "C"
