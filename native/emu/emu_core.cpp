// The emulated device behind both front ends (see emu_core.h): every kernel of kernels/cuda/*.cu
// compiled from the same source through cuda_emu.h, a registry of them by name with each
// parameter's kind read from the C++ signature, the fiber scheduler that gives each block real
// barriers, and host memory standing in for device memory.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "emu_core.h"

// The race build (make emu-race) reports every kernel's data races; other builds compile these out.
#ifdef EMU_RACE
#include "race_detector.h"
#define RACE(call) emu::race::call
#else
#define RACE(call) ((void)0)
#endif

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
// Set while a kernel marked barrier-free runs its threads one after another: there are no
// fibers then, so a barrier cannot be honoured and must stop the process (see syncthreads).
static const char* sequential_kernel = nullptr;
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
    if (sequential_kernel != nullptr) {
        // The kernel runs without fibers (the PTX table lists no barrier in it, or, for a probe,
        // an earlier launch reached none); continuing would switch to a scheduler that is not
        // there. Say so and stop.
        std::fprintf(stderr, "descent emulator: kernel %s reached __syncthreads() while running barrier-free"
                " (sequentially), which cannot honour a barrier: its PTX table entry lists none (stale:"
                " make -C native limits) or, for a probe, an earlier launch reached none\n",
                sequential_kernel);
        std::fflush(stderr);
        std::abort();
    }
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
#include "probes.cu"

namespace {

using emu::DOUBLE;
using emu::FLOAT;
using emu::INT;
using emu::LONG;
using emu::POINTER;

template <typename T>
constexpr int kind_of() {
    if constexpr (std::is_pointer_v<T>) return POINTER;
    else if constexpr (std::is_same_v<T, int>) return INT;
    else if constexpr (std::is_same_v<T, float>) return FLOAT;
    else if constexpr (std::is_same_v<T, double>) return DOUBLE;
    else if constexpr (std::is_same_v<T, long long>) return LONG;
    else return -1;
}

// The launch-limit table (kernels/cuda/launch_limits.txt, from ptxas -v and the PTX): what a GPU
// would refuse, and how many barriers each kernel's code holds.
struct Limit {
    const char* name;
    long registers, shared_bytes, max_threads, barriers;
};
const Limit LIMITS[] = {
#define LIMIT(n, r, s, t, b) {#n, r, s, t, b},
#include "limits.inc"
#undef LIMIT
};

const Limit* limit_of(const std::string& name) {
    for (const Limit& l : LIMITS) {
        if (name == l.name) return &l;
    }
    return nullptr;
}

struct Kernel {
    std::string name;
    std::vector<int> kinds;
    std::function<void(void**)> call;
    std::atomic<long> launches{0};
    // True when the kernel runs without fibers, one thread after another. Decided by the PTX
    // table where the kernel has PTX (no bar.sync in its code: no path can reach a barrier);
    // for the test-only probes, which have none, after a first launch that reached no barrier.
    bool barrier_free = false;
    bool barriers_known = false;
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
    if (const Limit* l = limit_of(name)) {
        kernel->barriers_known = true;
        kernel->barrier_free = l->barriers == 0;
    }
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
std::map<uintptr_t, size_t> allocations;  // start -> size, ordered for range lookups
std::map<uintptr_t, std::pair<void*, size_t>> mappings;  // start -> its mapping, guard page included
long bytes_in_use = 0;

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

// The order in which the scheduler visits threads (within each round between barriers) and
// blocks. A GPU promises none, so a kernel must give the same result under any: forward hides
// races where a lower thread produces what a higher one reads, reverse hides the opposite, and a
// seeded random order (a new permutation per round) hides neither. DESCENT_EMU_ORDER selects it:
// forward (the default), reverse, or random[:SEED].
struct Order {
    enum Kind { FORWARD, REVERSE, RANDOM } kind = FORWARD;
    unsigned seed = 1;
    std::mt19937 rng;

    Order() {
        const char* env = std::getenv("DESCENT_EMU_ORDER");
        configure(env ? env : "forward");
    }

    // "forward", "reverse" or "random[:SEED]"; false for anything else.
    bool configure(const std::string& v) {
        if (v == "forward") {
            kind = FORWARD;
        } else if (v == "reverse") {
            kind = REVERSE;
        } else if (v.rfind("random", 0) == 0) {
            kind = RANDOM;
            seed = v.size() > 7 && v[6] == ':' ? (unsigned)std::strtoul(v.c_str() + 7, nullptr, 10) : 1;
        } else {
            return false;
        }
        rng.seed(seed);
        return true;
    }

    // Fills p with a visiting order of 0..n-1.
    void permute(std::vector<int>& p, int n) {
        p.resize(n);
        std::iota(p.begin(), p.end(), 0);
        if (kind == REVERSE) std::reverse(p.begin(), p.end());
        if (kind == RANDOM) std::shuffle(p.begin(), p.end(), rng);
    }
};

Order& order() {
    static Order o;
    return o;
}

dim3 unflatten(int i, dim3 shape) {
    return dim3{(unsigned)(i % shape.x), (unsigned)((i / shape.x) % shape.y), (unsigned)(i / (shape.x * shape.y))};
}

// Every thread of every block as a fiber; barriers are honoured.
// Bounds of the section every __shared__ variable lives in (cuda_emu.h); the linker defines them.
extern "C" char __start_emu_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_emu_shared[] __attribute__((weak, visibility("hidden")));

// All-ones bytes are a NaN as a float and as a double: shared memory a block reads before it
// writes it shows up in the results instead of passing with a previous block's values.
void poison_shared() {
    char* start = +__start_emu_shared;
    char* stop = +__stop_emu_shared;
    if (start != nullptr && stop > start) {
        std::memset(start, 0xFF, (size_t)(stop - start));
    }
}

void run_fibers(Kernel& k, dim3 grid, dim3 block, void** args) {
    int threads = block.x * block.y * block.z;
    int blocks = grid.x * grid.y * grid.z;
    while ((int)stacks.size() < threads) stacks.push_back(std::make_unique<char[]>(STACK_BYTES));
    emu::fibers.assign(threads, emu::Fiber{});
    running_kernel = &k;
    running_args = args;
    std::vector<int> block_order, thread_order;
    order().permute(block_order, blocks);
    for (int b : block_order) {
        emu::block_idx = unflatten(b, grid);
        poison_shared();
        RACE(begin_block(b));
        for (int t = 0; t < threads; t++) {
            emu::fibers[t] = emu::Fiber{initial_sp(stacks[t].get()), false, false};
        }
        // Rounds until every fiber has finished; release a barrier once all live fibers wait.
        while (true) {
            int live = 0, waiting = 0;
            order().permute(thread_order, threads);
            for (int t : thread_order) {
                emu::Fiber& f = emu::fibers[t];
                if (f.done) continue;
                if (!f.at_barrier) {
                    emu::current = t;
                    emu::thread_idx = unflatten(t, block);
                    RACE(set_thread(t));
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
                RACE(barrier_passed());
            }
        }
    }
}

// Threads one after another: a valid schedule for a kernel whose threads never synchronise.
void run_sequential(Kernel& k, dim3 grid, dim3 block, void** args) {
    int threads = block.x * block.y * block.z;
    int blocks = grid.x * grid.y * grid.z;
    std::vector<int> block_order, thread_order;
    order().permute(block_order, blocks);
    for (int b : block_order) {
        emu::block_idx = unflatten(b, grid);
        poison_shared();
        RACE(begin_block(b));
        order().permute(thread_order, threads);
        for (int t : thread_order) {
            emu::thread_idx = unflatten(t, block);
            RACE(set_thread(t));
            k.call(args);
        }
    }
}

#ifdef EMU_RACE
void begin_race_check(const Kernel& k) {
    std::vector<emu::race::Range> ranges;
    {
        std::lock_guard<std::mutex> lock(alloc_mutex);
        for (auto& [start, size] : allocations) ranges.push_back({start, size});
    }
    emu::race::begin_launch(k.name, ranges, (uintptr_t)+__start_emu_shared, (uintptr_t)+__stop_emu_shared);
}
#endif

// Returns the race build's report of this launch's data races ("" when none, and always in
// other builds).
std::string run(Kernel& k, dim3 grid, dim3 block, void** args) {
    std::lock_guard<std::mutex> lock(launch_mutex);
#ifdef EMU_RACE
    begin_race_check(k);
#endif
    emu::block_dim = block;
    emu::grid_dim = grid;
    if (k.barrier_free) {
        emu::sequential_kernel = k.name.c_str();
        run_sequential(k, grid, block, args);
        emu::sequential_kernel = nullptr;
    } else {
        emu::barrier_seen = false;
        run_fibers(k, grid, block, args);
        // A probe that reached no barrier in a whole launch runs sequentially from then on; a
        // later launch that reaches one after all stops the process (syncthreads).
        if (!k.barriers_known) k.barrier_free = !emu::barrier_seen;
    }
    k.launches++;
#ifdef EMU_RACE
    return emu::race::end_launch();
#else
    return "";
#endif
}

}  // namespace


namespace emu {

int kernel_count() { return (int)registry().size(); }

bool set_order(const std::string& spec) {
    std::lock_guard<std::mutex> lock(launch_mutex);
    return order().configure(spec);
}

int find_kernel(const std::string& name) {
    auto& kernels = registry();
    for (size_t i = 0; i < kernels.size(); i++) {
        if (kernels[i]->name == name) return (int)i;
    }
    return -1;
}

const std::string& kernel_name(int kernel) { return registry()[kernel]->name; }

const std::vector<int>& kernel_kinds(int kernel) { return registry()[kernel]->kinds; }

long kernel_launches(int kernel) { return registry()[kernel]->launches.load(); }

std::string launch(int kernel, dim3 grid, dim3 block, void** args) { return run(*registry()[kernel], grid, block, args); }

std::string launch_error(int kernel, dim3 grid, dim3 block, bool* too_many_resources) {
    *too_many_resources = false;
    const std::string& name = kernel_name(kernel);
    long threads = (long)block.x * block.y * block.z;
    auto says = [&](const std::string& why) { return name + ": " + why; };
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0) return says("empty grid or block");
    if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
        return says("grid " + std::to_string(grid.x) + "x" + std::to_string(grid.y) + "x" + std::to_string(grid.z) +
                    " exceeds 2^31-1 x 65535 x 65535");
    }
    if (threads > 1024 || block.z > 64) {
        return says(std::to_string(threads) + " threads per block (at most 1024, and 64 in z)");
    }
    if (const Limit* found = limit_of(name)) {
        const Limit& l = *found;
        if (l.max_threads > 0 && threads > l.max_threads) {
            return says(std::to_string(threads) + " threads per block, but __launch_bounds__ allows " +
                        std::to_string(l.max_threads));
        }
        if (l.registers * threads > 65536) {
            *too_many_resources = true;
            return says(std::to_string(l.registers) + " registers x " + std::to_string(threads) +
                        " threads exceed the 65536 registers of a multiprocessor");
        }
        if (l.shared_bytes > 48 * 1024) {
            *too_many_resources = true;
            return says(std::to_string(l.shared_bytes) + " bytes of static shared memory exceed 48 KiB");
        }
    }
    return "";
}

// Every allocation ends exactly where an inaccessible guard page begins, so a kernel that reads
// or writes past its end faults at once (as compute-sanitizer would report) instead of touching
// a neighbour. The size is rounded up to 16 bytes only, which keeps float4 accesses aligned; a
// GPU's allocations are 256-byte aligned, so nothing may rely on more than that here either.
void* device_alloc(size_t bytes) {
    size_t size = (std::max<size_t>(bytes, 1) + 15) / 16 * 16;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (size + page - 1) / page;
    size_t total = (data_pages + 1) * page;
    void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return nullptr;
    char* guard = (char*)base + data_pages * page;
    if (mprotect(guard, page, PROT_NONE) != 0) {
        munmap(base, total);
        return nullptr;
    }
    char* p = guard - size;  // anonymous pages are already zero
    std::lock_guard<std::mutex> lock(alloc_mutex);
    allocations[(uintptr_t)p] = size;
    mappings[(uintptr_t)p] = {base, total};
    bytes_in_use += (long)size;
    return p;
}

bool device_free(void* p) {
    std::lock_guard<std::mutex> lock(alloc_mutex);
    auto it = allocations.find((uintptr_t)p);
    if (it == allocations.end()) return false;
    bytes_in_use -= (long)it->second;
    allocations.erase(it);
    RACE(forget((uintptr_t)p));
    auto m = mappings.find((uintptr_t)p);
    munmap(m->second.first, m->second.second);
    mappings.erase(m);
    return true;
}

long device_bytes_in_use() {
    std::lock_guard<std::mutex> lock(alloc_mutex);
    return bytes_in_use;
}

bool device_range_valid(const void* p, size_t bytes) {
    uintptr_t start = (uintptr_t)p;
    std::lock_guard<std::mutex> lock(alloc_mutex);
    auto it = allocations.upper_bound(start);  // first allocation starting after p
    if (it == allocations.begin()) return false;
    --it;
    return start + bytes <= it->first + it->second;
}

}  // namespace emu
