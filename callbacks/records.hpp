// The records compiled code reads and writes in place: a callback's data slot (the
// trampoline loads it into the static-chain register, the thunk reads it) and a thread's
// callback record (the thunk updates it). The thunk compiler (jit/stub_compiler.cpp) takes
// every offset from here by offsetof; this header depends on nothing else of callbacks/.
#pragma once

#include <atomic>
#include <cstdint>

#include "jiffi/jiffi.h"

namespace jiffi::detail {

// A callback's data slot: what its thunk and the misuse report need; fixed layout (the
// trampoline jumps through `target`, the thunk reads `handler` and `user_data`).
struct SlotData {
    std::atomic<void*> target;  // the thunk, or the released-call trap
    jiffi_handler handler;      // a libffi callback's: libffi's closure entry
    void* user_data;            // while free: the next free slot
    const void* owner;          // the callback's signature record (kept for the trap's message)
};
static_assert(sizeof(SlotData) == 32, "thunks and trampolines depend on the slot layout");

// How many nested callbacks a thread's record names; deeper ones hold back all reuse.
constexpr uint32_t kActiveCallbacks = 8;

// One thread's callback record; thunks update it in place, so its layout is fixed.
struct ThreadRecord {
    uint32_t depth;       // callbacks running on the thread now (nested ones included)
    uint32_t registered;  // 0 before the thread's first callback, kRegistered after it,
                          // kRetired once the thread is exiting (never registered again)
    uint8_t entering;     // 1 from a trampoline's entry until its thunk recorded the call
    // The callbacks running (their data slots, or libffi callback objects), outermost first:
    // entry i for the call at depth i; calls deeper than kActiveCallbacks all write the last.
    const void* active[kActiveCallbacks + 1];
};

}  // namespace jiffi::detail
