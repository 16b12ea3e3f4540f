// Threads that run callbacks: each thread's record of the callbacks it is running, and the
// check that tells when no thread runs any of a set of released callbacks.
#pragma once

#include <cstdint>
#include <vector>

#include "callbacks/records.hpp"

namespace jiffi::detail {

// The registered values of a record in the registry and of one whose thread is exiting.
constexpr uint32_t kRegistered = 1;
constexpr uint32_t kRetired = UINT32_MAX;

// The record's offset from the thread pointer, the same in every thread; false when this
// host has no way for compiled code to reach it (thunks then count nothing).
bool thread_record_offset(int64_t& offset);

// Registers the calling thread's record (on a thread's first callback).
extern "C" void jiffi_callbacks_register_thread();
// The same, preserving every register but r11 (x86-64 only): what trampolines call.
extern "C" void jiffi_callbacks_register_thread_preserving();

// Records a callback call (of the callback named id) on the calling thread for the life of
// the scope (libffi closures), clearing the entering mark of a trampoline in front of it.
class CallbackScope {
public:
    explicit CallbackScope(const void* id);
    ~CallbackScope();
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;

private:
    uint32_t depth_;
};

// The callbacks running now on any thread, sorted (ids: their data slots, or libffi
// callback objects); false when some thread may be running one it has not named yet: it is
// between a trampoline's entry and its thunk, or nested deeper than its record names. A
// released callback's memory is reused only once it is not among them; a call through its
// slot starting later finds the trap.
bool running_callbacks(std::vector<const void*>& ids);

// Before fork(): takes the thread registry's locks.
void threads_fork_prepare() noexcept;
// After fork(): releases them; in the child, whose only thread is the one that forked, the
// other threads' records leave the registry (their callbacks in flight never return there
// and must not hold back the reuse of released callbacks).
void threads_fork_release(bool child) noexcept;

}  // namespace jiffi::detail
