// The race detector of race_detector.h, and the instrumentation hooks gcc's -fsanitize=thread
// calls. Compiled without instrumentation itself.
#include "race_detector.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace emu::race {
namespace {

// What is remembered of one 4-byte word: its last writer, and enough of its readers since that
// write to tell whether a new write races with any of them. Readers are summarised twice: across
// blocks (the first reader's block, and whether a second block read it) and within the latest
// (block, barrier interval) that read it (one reader thread, and whether another thread read it).
struct Word {
    uint32_t write_launch, write_block, write_interval;
    uint16_t write_thread;
    uint16_t flags;
    uint32_t read_launch, read_block, reads_block, reads_interval;
    uint16_t reads_thread;
};
constexpr uint16_t READ_BY_TWO_BLOCKS = 1;
constexpr uint16_t READ_BY_TWO_THREADS = 2;

struct Shadow {
    uintptr_t start, end;
    Word* words;
    bool shared;
};

std::mutex shadow_mutex;
std::map<uintptr_t, Shadow> shadows;  // by start address; shared memory's included

// State of the launch being checked. Launches are serialised (emu_core.cpp's launch_mutex), and
// only the launching OS thread, whose fibers run the kernel, has `active` set.
__attribute__((tls_model("initial-exec"))) thread_local bool active = false;
std::vector<Shadow> in_launch;  // sorted by start
std::string kernel_name;
uint32_t launch = 0;
uint32_t block = 0, interval = 0;
uint16_t thread = 0;
long races = 0;
std::string report;
constexpr int REPORTED = 3;  // described in full; the rest are counted

Shadow shadow_for(uintptr_t start, size_t bytes, bool shared) {
    auto it = shadows.find(start);
    if (it != shadows.end() && it->second.end - it->second.start == bytes) return it->second;
    if (it != shadows.end()) std::free(it->second.words);
    size_t words = (bytes + 3) / 4;
    // calloc of a large block maps fresh zero pages, so only the words a kernel touches cost memory.
    Shadow s{start, start + bytes, static_cast<Word*>(std::calloc(std::max<size_t>(words, 1), sizeof(Word))), shared};
    shadows[start] = s;
    return s;
}

std::string who(uint32_t b, uint16_t t, uint32_t i) {
    return "block " + std::to_string(b) + " thread " + std::to_string(t) + " (after " + std::to_string(i) +
           " barriers)";
}

void found(const Shadow& s, uintptr_t address, const char* kind, const std::string& earlier) {
    if (races++ >= REPORTED) return;
    std::string where = s.shared ? "shared memory at byte " + std::to_string(address - s.start)
                                 : "global memory, byte " + std::to_string(address - s.start) + " of the allocation at 0x" +
                                       [&] { char b[32]; std::snprintf(b, sizeof b, "%lx", (unsigned long)s.start); return std::string(b); }();
    report += "  " + std::string(kind) + " race on " + where + ": " + who(block, thread, interval) + " and " + earlier + "\n";
}

// True when an access by (b, t, i) is unordered against the current one.
bool unordered(uint32_t b, uint16_t t, uint32_t i) {
    return b != block || (t != thread && i == interval);
}

void check(const Shadow& s, uintptr_t address, bool write) {
    Word& w = s.words[(address - s.start) / 4];
    // A block's shared memory is its own: an earlier block's accesses to it are to other memory.
    bool written = w.write_launch == launch && (!s.shared || w.write_block == block);
    bool read = w.read_launch == launch && (!s.shared || w.reads_block == block);
    if (written && unordered(w.write_block, w.write_thread, w.write_interval)) {
        found(s, address, write ? "write-write" : "write-read", "the write by " + who(w.write_block, w.write_thread, w.write_interval));
    }
    if (write) {
        if (read && !s.shared && ((w.flags & READ_BY_TWO_BLOCKS) || w.read_block != block)) {
            found(s, address, "read-write", "a read by another block");
        } else if (read && w.reads_block == block && w.reads_interval == interval &&
                   ((w.flags & READ_BY_TWO_THREADS) || w.reads_thread != thread)) {
            found(s, address, "read-write", "a read by another thread of the block before the same barrier");
        }
        w.write_launch = launch;
        w.write_block = block;
        w.write_interval = interval;
        w.write_thread = thread;
        w.read_launch = 0;  // earlier reads were just checked against this write; later ones follow it
        w.flags = 0;
        return;
    }
    if (!read) {
        w.read_launch = launch;
        w.read_block = w.reads_block = block;
        w.reads_interval = interval;
        w.reads_thread = thread;
        w.flags = 0;
        return;
    }
    if (w.read_block != block) w.flags |= READ_BY_TWO_BLOCKS;
    if (w.reads_block == block && w.reads_interval == interval) {
        if (w.reads_thread != thread) w.flags |= READ_BY_TWO_THREADS;
    } else {
        w.reads_block = block;
        w.reads_interval = interval;
        w.reads_thread = thread;
        w.flags &= ~READ_BY_TWO_THREADS;
    }
}

// Most instrumented accesses are not to device memory at all (fiber stacks, the emulator's own
// data), so the range of each 4 KiB page is cached, misses included. Every device allocation owns
// its pages (emu_core.cpp maps each with its own guard page), so a page belongs to at most one;
// the shared section may share pages with other static data and is checked by address first.
struct PageEntry {
    uintptr_t page;
    const Shadow* range;
};
constexpr int PAGE_CACHE = 4096;
PageEntry page_cache[PAGE_CACHE];
const Shadow* shared_range = nullptr;

const Shadow* search(uintptr_t a) {
    auto it = std::upper_bound(in_launch.begin(), in_launch.end(), a,
                               [](uintptr_t x, const Shadow& s) { return x < s.start; });
    if (it == in_launch.begin()) return nullptr;
    --it;
    return a < it->end ? &*it : nullptr;
}

const Shadow* range_of(uintptr_t a) {
    if (shared_range != nullptr && a >= shared_range->start && a < shared_range->end) return shared_range;
    uintptr_t page = a >> 12;
    PageEntry& e = page_cache[page % PAGE_CACHE];
    if (e.page != page) {
        // The page's range, if any: the one holding its last byte (an allocation ends at a page end).
        e.range = search((page << 12) | 0xFFF);
        if (e.range != nullptr && e.range->shared) e.range = nullptr;
        e.page = page;
    }
    return e.range != nullptr && a >= e.range->start ? e.range : nullptr;
}

void access(const void* p, size_t bytes, bool write) {
    if (!active || bytes == 0) return;
    uintptr_t a = (uintptr_t)p;
    const Shadow* s = range_of(a);
    if (s == nullptr) return;
    uintptr_t last = std::min(a + bytes, s->end) - 1;
    for (uintptr_t w = a & ~(uintptr_t)3; w <= last; w += 4) check(*s, w, write);
}

}  // namespace

void begin_launch(const std::string& kernel, const std::vector<Range>& allocations, uintptr_t shared_start,
                  uintptr_t shared_stop) {
    std::lock_guard<std::mutex> lock(shadow_mutex);
    in_launch.clear();
    for (const Range& r : allocations) in_launch.push_back(shadow_for(r.start, r.bytes, false));
    if (shared_stop > shared_start) in_launch.push_back(shadow_for(shared_start, shared_stop - shared_start, true));
    std::sort(in_launch.begin(), in_launch.end(), [](const Shadow& x, const Shadow& y) { return x.start < y.start; });
    shared_range = nullptr;
    for (const Shadow& s : in_launch) {
        if (s.shared) shared_range = &s;
    }
    for (PageEntry& e : page_cache) e = PageEntry{~(uintptr_t)0, nullptr};
    kernel_name = kernel;
    launch++;
    if (launch == 0) launch = 1;  // 0 marks "never"; after 2^32 launches an old record could look current
    block = interval = thread = 0;
    races = 0;
    report.clear();
    active = true;
}

void begin_block(unsigned b) {
    block = b;
    interval = 0;
}

void set_thread(unsigned t) { thread = (uint16_t)t; }

void barrier_passed() { interval++; }

std::string end_launch() {
    active = false;
    if (races == 0) return "";
    std::string head = kernel_name + ": " + std::to_string(races) + " data race" + (races == 1 ? "" : "s") +
                       (races > REPORTED ? " (the first " + std::to_string(REPORTED) + " shown)" : "") + "\n";
    return head + report;
}

void forget(uintptr_t start) {
    std::lock_guard<std::mutex> lock(shadow_mutex);
    auto it = shadows.find(start);
    if (it == shadows.end()) return;
    std::free(it->second.words);
    shadows.erase(it);
}

}  // namespace emu::race

// The hooks gcc's -fsanitize=thread instrumentation calls (the names and signatures are
// ThreadSanitizer's). Only plain loads and stores matter here; the kernels use no atomics, and the
// atomics the emulator's own C++ performs (counters, static initialisation guards) are carried
// out as asked.
using emu::race::access;
extern "C" {
void __tsan_init() {}
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}
void __tsan_read1(void* a) { access(a, 1, false); }
void __tsan_read2(void* a) { access(a, 2, false); }
void __tsan_read4(void* a) { access(a, 4, false); }
void __tsan_read8(void* a) { access(a, 8, false); }
void __tsan_read16(void* a) { access(a, 16, false); }
void __tsan_write1(void* a) { access(a, 1, true); }
void __tsan_write2(void* a) { access(a, 2, true); }
void __tsan_write4(void* a) { access(a, 4, true); }
void __tsan_write8(void* a) { access(a, 8, true); }
void __tsan_write16(void* a) { access(a, 16, true); }
void __tsan_unaligned_read2(void* a) { access(a, 2, false); }
void __tsan_unaligned_read4(void* a) { access(a, 4, false); }
void __tsan_unaligned_read8(void* a) { access(a, 8, false); }
void __tsan_unaligned_read16(void* a) { access(a, 16, false); }
void __tsan_unaligned_write2(void* a) { access(a, 2, true); }
void __tsan_unaligned_write4(void* a) { access(a, 4, true); }
void __tsan_unaligned_write8(void* a) { access(a, 8, true); }
void __tsan_unaligned_write16(void* a) { access(a, 16, true); }
void __tsan_read_range(void* a, unsigned long n) { access(a, n, false); }
void __tsan_write_range(void* a, unsigned long n) { access(a, n, true); }
char __tsan_atomic8_load(const volatile char* a, int) { return __atomic_load_n(a, __ATOMIC_SEQ_CST); }
long __tsan_atomic64_load(const volatile long* a, int) { return __atomic_load_n(a, __ATOMIC_SEQ_CST); }
long __tsan_atomic64_fetch_add(volatile long* a, long v, int) { return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST); }
}
