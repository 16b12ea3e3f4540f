// Crash reports: what a fatal signal's report needs to know about the thread's current call.
#pragma once

#include <atomic>
#include <cstdint>

#include "jiffi/jiffi.h"

namespace jiffi::detail {

// Set once crash reports are installed. Functions then carry kCrashMarkBit in their stats id,
// which no shard cache entry matches: their calls leave the fast path for the one that marks
// the thread, and the fast path itself tests nothing.
extern std::atomic<bool> g_crash_reports;
constexpr uint64_t kCrashMarkBit = uint64_t(1) << 63;

// Sets kCrashMarkBit on every live function (defined with the C API's functions).
void mark_functions_for_crash_reports();

// True when crash reports are installed.
inline bool crash_reports_on() noexcept { return g_crash_reports.load(std::memory_order_relaxed); }

// Names fn as the function the calling thread is inside for the scope's life (restoring the
// mark of an enclosing call after), with the thread's callback depth at the call, so that a
// report can tell a fault in a callback's handler from one in the callee; gives the thread an
// alternate signal stack on its first marked call.
class CrashMark {
public:
    explicit CrashMark(const jiffi_function* fn) noexcept;
    ~CrashMark();
    CrashMark(const CrashMark&) = delete;
    CrashMark& operator=(const CrashMark&) = delete;

private:
    const jiffi_function* prev_fn_;
    uint32_t prev_depth_;
};

// Installs the fatal-signal handlers (once; later calls only give the calling thread its
// alternate stack). Throws Error(INTERNAL) naming the signal sigaction refused.
void crash_install();

// Installs them when JIFFI_CRASH_REPORT is set (run at the first context creation); a failure
// is reported on stderr.
void crash_install_from_env() noexcept;

}  // namespace jiffi::detail
