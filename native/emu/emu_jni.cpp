// JNI library behind dev.descent.cuda.EmulatedDevice: device memory is host memory, and every
// kernel of kernels/cuda/*.cu is compiled from the same source through cuda_emu.h and launched
// by name with the same argument list the real driver receives. Each argument's kind (pointer,
// int, long, float, double) is checked against the kernel's C++ signature, so a packing mistake
// in the Java backend fails here instead of corrupting memory on a GPU.
#include <jni.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cuda_emu.h"

namespace emu {
thread_local dim3 thread_idx;
thread_local dim3 block_idx;
thread_local dim3 block_dim;
thread_local dim3 grid_dim;

// The fiber scheduler of the block being run (launches are serialised by launch_mutex).
struct Fiber {
    void* sp = nullptr;
    bool done = false;
    bool at_barrier = false;
};
static void* scheduler_sp = nullptr;
static std::vector<Fiber> fibers;
static int current = -1;
static bool barrier_seen = false;
}  // namespace emu

// Saves the callee-saved registers and the stack pointer of the running context into *save_sp,
// then resumes the context whose stack pointer is load_sp. glibc's swapcontext would also save
// and restore the signal mask, a system call per switch, which made barrier-heavy kernels
// (256 blocks x 256 threads x 9 barriers per reduction) spend most of their time in the kernel.
extern "C" void emu_switch(void** save_sp, void* load_sp);
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
)");

namespace emu {
void syncthreads() {
    barrier_seen = true;
    Fiber& f = fibers[current];
    f.at_barrier = true;
    emu_switch(&f.sp, scheduler_sp);
}
}  // namespace emu

#include "../../kernels/cuda/elementwise.cu"
#include "../../kernels/cuda/gemm.cu"
#include "../../kernels/cuda/optim.cu"
#include "../../kernels/cuda/reduce.cu"

namespace {

enum Kind { POINTER = 0, INT = 1, FLOAT = 2, DOUBLE = 3, LONG = 4 };

template <typename T>
constexpr int kind_of() {
    if constexpr (std::is_pointer_v<T>) return POINTER;
    else if constexpr (std::is_same_v<T, int>) return INT;
    else if constexpr (std::is_same_v<T, float>) return FLOAT;
    else if constexpr (std::is_same_v<T, double>) return DOUBLE;
    else if constexpr (std::is_same_v<T, long long>) return LONG;
    else return -1;
}

struct Kernel {
    std::string name;
    std::vector<int> kinds;
    std::function<void(void**)> call;
    std::atomic<long> launches{0};
    bool barrier_free = false;
};

template <typename... A, std::size_t... I>
void invoke(void (*k)(A...), void** args, std::index_sequence<I...>) {
    k(*static_cast<std::remove_reference_t<A>*>(args[I])...);
}

template <typename... A>
std::unique_ptr<Kernel> make_kernel(const char* name, void (*k)(A...)) {
    auto kernel = std::make_unique<Kernel>();
    kernel->name = name;
    kernel->kinds = {kind_of<A>()...};
    kernel->call = [k](void** args) { invoke(k, args, std::index_sequence_for<A...>{}); };
    return kernel;
}

std::vector<std::unique_ptr<Kernel>>& registry() {
    static std::vector<std::unique_ptr<Kernel>> kernels = [] {
        std::vector<std::unique_ptr<Kernel>> k;
#define KERNEL(name) k.push_back(make_kernel(#name, name));
#include "kernels.inc"
#undef KERNEL
        return k;
    }();
    return kernels;
}

std::mutex alloc_mutex;
std::unordered_map<void*, long> allocations;
long bytes_in_use = 0;

void throw_java(JNIEnv* env, const char* cls, const std::string& msg) {
    env->ThrowNew(env->FindClass(cls), msg.c_str());
}

std::mutex launch_mutex;
constexpr size_t STACK_BYTES = 256 * 1024;
std::vector<std::unique_ptr<char[]>> stacks;

Kernel* running_kernel;
void** running_args;

// First frame of every fiber: run the kernel body, mark the fiber done, hand control back.
// Never returns (its stack has no caller).
[[noreturn]] void fiber_entry() {
    running_kernel->call(running_args);
    emu::fibers[emu::current].done = true;
    emu_switch(&emu::fibers[emu::current].sp, emu::scheduler_sp);
    std::abort();
}

// A fresh stack whose first switch "returns" into fiber_entry with the ABI's alignment
// (rsp = 8 mod 16 at function entry).
void* initial_sp(char* stack) {
    uintptr_t top = ((uintptr_t)(stack + STACK_BYTES)) & ~(uintptr_t)15;
    void** sp = (void**)top;
    *--sp = nullptr;                      // fiber_entry's (never used) return address
    *--sp = (void*)&fiber_entry;          // popped by emu_switch's ret
    for (int i = 0; i < 6; i++) *--sp = nullptr;  // rbp rbx r12 r13 r14 r15
    return sp;
}

dim3 unflatten(int i, dim3 shape) {
    return dim3{(unsigned)(i % shape.x), (unsigned)((i / shape.x) % shape.y), (unsigned)(i / (shape.x * shape.y))};
}

// Every thread of every block as a fiber; barriers are honoured.
void run_fibers(Kernel& k, dim3 grid, dim3 block, void** args) {
    int threads = block.x * block.y * block.z;
    int blocks = grid.x * grid.y * grid.z;
    while ((int)stacks.size() < threads) stacks.push_back(std::make_unique<char[]>(STACK_BYTES));
    emu::fibers.assign(threads, emu::Fiber{});
    running_kernel = &k;
    running_args = args;
    for (int b = 0; b < blocks; b++) {
        emu::block_idx = unflatten(b, grid);
        for (int t = 0; t < threads; t++) {
            emu::fibers[t] = emu::Fiber{initial_sp(stacks[t].get()), false, false};
        }
        // Round-robin until every fiber has finished; release a barrier once all live fibers wait.
        while (true) {
            int live = 0, waiting = 0;
            for (int t = 0; t < threads; t++) {
                emu::Fiber& f = emu::fibers[t];
                if (f.done) continue;
                if (!f.at_barrier) {
                    emu::current = t;
                    emu::thread_idx = unflatten(t, block);
                    emu_switch(&emu::scheduler_sp, f.sp);
                }
                if (!f.done) {
                    live++;
                    waiting += f.at_barrier ? 1 : 0;
                }
            }
            if (live == 0) break;
            if (waiting == live) {
                for (auto& f : emu::fibers) f.at_barrier = false;
            }
        }
    }
}

// Threads one after another: a valid schedule for a kernel whose threads never synchronise.
void run_sequential(Kernel& k, dim3 grid, dim3 block, void** args) {
    int threads = block.x * block.y * block.z;
    int blocks = grid.x * grid.y * grid.z;
    for (int b = 0; b < blocks; b++) {
        emu::block_idx = unflatten(b, grid);
        for (int t = 0; t < threads; t++) {
            emu::thread_idx = unflatten(t, block);
            k.call(args);
        }
    }
}

void run(Kernel& k, dim3 grid, dim3 block, void** args) {
    std::lock_guard<std::mutex> lock(launch_mutex);
    emu::block_dim = block;
    emu::grid_dim = grid;
    if (k.barrier_free) {
        run_sequential(k, grid, block, args);
    } else {
        emu::barrier_seen = false;
        run_fibers(k, grid, block, args);
        // A kernel that reached no barrier in a whole launch has none on that path; later
        // launches run sequentially. (Ours either always reach their barriers or have none.)
        k.barrier_free = !emu::barrier_seen;
    }
    k.launches++;
}

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeMalloc(JNIEnv* env, jclass, jlong bytes) {
    size_t size = ((size_t)std::max<jlong>(bytes, 1) + 255) / 256 * 256;
    void* p = std::aligned_alloc(256, size);
    if (!p) {
        throw_java(env, "java/lang/OutOfMemoryError", "emulated device: cannot allocate " + std::to_string(bytes));
        return 0;
    }
    std::memset(p, 0, size);
    std::lock_guard<std::mutex> lock(alloc_mutex);
    allocations[p] = (long)size;
    bytes_in_use += (long)size;
    return (jlong)(uintptr_t)p;
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeFree(JNIEnv* env, jclass, jlong ptr) {
    void* p = (void*)(uintptr_t)ptr;
    std::lock_guard<std::mutex> lock(alloc_mutex);
    auto it = allocations.find(p);
    if (it == allocations.end()) {
        throw_java(env, "java/lang/IllegalStateException", "emulated device: free of unknown pointer");
        return;
    }
    bytes_in_use -= it->second;
    allocations.erase(it);
    std::free(p);
}

JNIEXPORT jlong JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeBytesInUse(JNIEnv*, jclass) {
    std::lock_guard<std::mutex> lock(alloc_mutex);
    return bytes_in_use;
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeUpload(JNIEnv* env, jclass, jlong dst, jfloatArray src,
                                                                          jint offset, jint count) {
    env->GetFloatArrayRegion(src, offset, count, (jfloat*)(uintptr_t)dst);
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeDownload(JNIEnv* env, jclass, jlong src,
                                                                            jfloatArray dst, jint offset, jint count) {
    env->SetFloatArrayRegion(dst, offset, count, (const jfloat*)(uintptr_t)src);
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeCopy(JNIEnv*, jclass, jlong dst, jlong src,
                                                                        jlong bytes) {
    std::memmove((void*)(uintptr_t)dst, (const void*)(uintptr_t)src, (size_t)bytes);
}

JNIEXPORT jlong JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeFunction(JNIEnv* env, jclass, jstring name) {
    const char* chars = env->GetStringUTFChars(name, nullptr);
    std::string wanted(chars);
    env->ReleaseStringUTFChars(name, chars);
    auto& kernels = registry();
    for (size_t i = 0; i < kernels.size(); i++) {
        if (kernels[i]->name == wanted) return (jlong)(i + 1);
    }
    return 0;
}

JNIEXPORT void JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeLaunch(JNIEnv* env, jclass, jlong fn, jint gx, jint gy,
                                                                          jint bx, jintArray kinds, jlongArray values) {
    auto& kernels = registry();
    if (fn < 1 || fn > (jlong)kernels.size()) {
        throw_java(env, "java/lang/IllegalArgumentException", "emulated device: unknown function handle");
        return;
    }
    Kernel& k = *kernels[fn - 1];
    jsize n = env->GetArrayLength(kinds);
    std::vector<jint> kind(n);
    std::vector<jlong> value(n);
    env->GetIntArrayRegion(kinds, 0, n, kind.data());
    env->GetLongArrayRegion(values, 0, n, value.data());
    if ((size_t)n != k.kinds.size()) {
        throw_java(env, "java/lang/IllegalArgumentException",
                   k.name + ": " + std::to_string(n) + " arguments, kernel takes " + std::to_string(k.kinds.size()));
        return;
    }
    std::vector<unsigned char> storage(8 * (size_t)std::max(1, (int)n));
    std::vector<void*> args(n);
    for (jsize i = 0; i < n; i++) {
        if (kind[i] != k.kinds[i]) {
            throw_java(env, "java/lang/IllegalArgumentException",
                       k.name + ": argument " + std::to_string(i) + " has kind " + std::to_string(kind[i]) +
                           ", kernel expects " + std::to_string(k.kinds[i]));
            return;
        }
        unsigned char* slot = storage.data() + 8 * i;
        switch (kind[i]) {
            case POINTER: { void* p = (void*)(uintptr_t)value[i]; std::memcpy(slot, &p, sizeof p); break; }
            case INT: { int v = (int)value[i]; std::memcpy(slot, &v, sizeof v); break; }
            case FLOAT: { int bits = (int)value[i]; std::memcpy(slot, &bits, sizeof bits); break; }
            case DOUBLE:
            case LONG: { std::memcpy(slot, &value[i], 8); break; }
        }
        args[i] = slot;
    }
    run(k, dim3{(unsigned)gx, (unsigned)gy, 1}, dim3{(unsigned)bx, 1, 1}, args.data());
}

JNIEXPORT jobjectArray JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeKernelNames(JNIEnv* env, jclass) {
    auto& kernels = registry();
    jobjectArray out = env->NewObjectArray((jsize)kernels.size(), env->FindClass("java/lang/String"), nullptr);
    for (size_t i = 0; i < kernels.size(); i++) {
        env->SetObjectArrayElement(out, (jsize)i, env->NewStringUTF(kernels[i]->name.c_str()));
    }
    return out;
}

JNIEXPORT jlongArray JNICALL Java_dev_descent_cuda_EmulatedDevice_nativeLaunchCounts(JNIEnv* env, jclass) {
    auto& kernels = registry();
    jlongArray out = env->NewLongArray((jsize)kernels.size());
    std::vector<jlong> counts(kernels.size());
    for (size_t i = 0; i < kernels.size(); i++) counts[i] = kernels[i]->launches.load();
    env->SetLongArrayRegion(out, 0, (jsize)counts.size(), counts.data());
    return out;
}

}  // extern "C"
