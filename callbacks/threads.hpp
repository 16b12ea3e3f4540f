// Threads that run callbacks: each thread's record of calls in flight, and the grace check
// that tells when every callback call running at some moment has returned.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace jiffi::detail {

// One thread's callback record; thunks update it in place (jit/stub_compiler.hpp has the
// offsets), so its layout is fixed.
struct ThreadRecord {
    uint32_t depth;       // callbacks running on the thread now (nested ones included)
    uint32_t registered;  // the thread's registration serial, 0 before its first callback,
                          // kRetired once the thread is exiting (never registered again)
    uint64_t exits;       // outermost callbacks that have returned on the thread
    uint8_t entering;     // 1 from a trampoline's jump until its thunk counted the call
};

// The registered value of a record whose thread is exiting.
constexpr uint32_t kRetired = UINT32_MAX;

// The record's offset from the thread pointer, the same in every thread; false when this
// host has no way for compiled code to reach it (thunks then count nothing).
bool thread_record_offset(int64_t& offset);

// Registers the calling thread's record (on a thread's first callback).
extern "C" void jiffi_callbacks_register_thread();
// The same, preserving every register but r11 (x86-64 only): what trampolines call.
extern "C" void jiffi_callbacks_register_thread_preserving();

// Counts a callback call on the calling thread for the life of the scope (libffi closures),
// clearing the entering mark of a trampoline in front of it.
class CallbackScope {
public:
    CallbackScope();
    ~CallbackScope();
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;

private:
    uint32_t depth_;
};

// The threads that were inside a callback when it was taken, with their exit counts.
struct InFlight {
    struct Busy {
        const ThreadRecord* record;
        uint32_t serial;
        uint64_t exits;
    };
    std::vector<Busy> busy;
};

// The callback calls running now, on any thread.
InFlight snapshot_in_flight();

// True when every call of snap has returned: each busy thread has left its outermost
// callback since (or exited).
bool has_returned(const InFlight& snap);

}  // namespace jiffi::detail
