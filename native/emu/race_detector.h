// A data-race detector for emulated kernels, with CUDA's rules of what is ordered (make emu-race).
//
// The race build compiles emu_core.cpp, and with it every kernel, with gcc's -fsanitize=thread
// instrumentation: each load and store calls __tsan_readN / __tsan_writeN. ThreadSanitizer's own
// runtime is not linked; race_detector.cpp defines those hooks instead and checks each access to
// device memory and to shared memory against what CUDA orders:
//  - launches on the stream are ordered, so only accesses of the same launch can race;
//  - blocks of a launch are unordered: one block writing a word of global memory that another
//    block reads or writes is a race, whatever order the emulator ran them in;
//  - within a block, __syncthreads() orders everything before it against everything after, so
//    two different threads touching a word between the same two barriers, one of them writing,
//    is a race;
//  - shared memory is private to its block: what an earlier block left at an address is not
//    this block's memory and cannot race with it.
// The verdict does not depend on the thread order the emulator happens to run, unlike a wrong
// result: a missing barrier is reported under forward, reverse and random order alike.
//
// ThreadSanitizer's own runtime models OS threads. Making it model blocks would need a fresh fiber
// per thread per block and a reset of the shadow of the reused fiber stacks and of the static
// shared section before every block, which its interface does not offer, and an LD_PRELOAD of
// libtsan into the test JVM. The instrumentation is the part worth reusing; these rules are
// simpler to state exactly than to encode as happens-before edges between fibers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace emu::race {

struct Range {
    uintptr_t start;
    size_t bytes;
};

// Starts checking the accesses the calling OS thread (and the fibers it runs) makes to device
// memory (`allocations`) and to the shared section [shared_start, shared_stop).
void begin_launch(const std::string& kernel, const std::vector<Range>& allocations, uintptr_t shared_start,
                  uintptr_t shared_stop);
// The block whose threads run next; its barrier count starts at 0.
void begin_block(unsigned block);
// The thread (index within the block) whose accesses follow.
void set_thread(unsigned thread);
// Every thread of the block passed a barrier.
void barrier_passed();
// Stops checking; returns a description of the races this launch had, or "" when none.
std::string end_launch();
// An allocation was freed: drops its shadow.
void forget(uintptr_t start);

}  // namespace emu::race
