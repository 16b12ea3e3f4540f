// Functions: a C function bound to a signature, and the call path of jiffi_function_call
// (inline here, so the C API's entry point makes the call with no further jump).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "runtime/context.hpp"
#include "runtime/crash.hpp"
#include "runtime/library.hpp"
#include "runtime/signature.hpp"
#include "runtime/tiering.hpp"

namespace jiffi::detail {

// Return storage for a call whose caller gave none (ret NULL): stubs store a non-void result
// unconditionally, so such a call gets scratch of the return's size.
class ReturnStorage {
public:
    ReturnStorage(void* ret, size_t size) : ret_(ret) {
        if (!ret_ && size) {
            scratch_.resize(size / sizeof(std::max_align_t) + 2);
            ret_ = scratch_.data();
        }
    }
    void* get() const noexcept { return ret_; }

private:
    void* ret_;
    std::vector<std::max_align_t> scratch_;
};

}  // namespace jiffi::detail

// A C function bound to a signature and ready to call: through its JIT stub when it has
// one, else through libffi.
struct jiffi_function {
    // A function of context c at address a, called by signature s.
    jiffi_function(jiffi_context* c, const jiffi_signature* s, void* a);
    // Leaves its tiering job (the compiler never touches it after).
    ~jiffi_function();
    jiffi_function(const jiffi_function&) = delete;
    jiffi_function& operator=(const jiffi_function&) = delete;

    jiffi::detail::ContextRef ctx_ref;  // first: released after everything else
    jiffi_context* ctx = nullptr;
    std::shared_ptr<jiffi::detail::LoadedLibrary> library;  // bound functions: keeps the code mapped
    // What a crash report names: the symbol (or "" when unknown) and the file it is in.
    std::string symbol;
    std::string library_path;
    const jiffi_signature* sig = nullptr;
    void* address = nullptr;
    size_t ret_size = 0;  // bytes a non-void return needs (scratch for a null ret)
    bool takes_args = false;  // the signature has arguments (so args must not be NULL)
    const jiffi::detail::FfiCall* ffi = nullptr;
    std::atomic<jiffi_invoker> jit{nullptr};  // the stub, once calls go through it
    jiffi::detail::StubRef stub;  // JIT contexts: holds the stub's code while the function lives
    std::shared_ptr<jiffi::detail::TierJob> tier;  // AUTO: the job delivering the stub
    jiffi::detail::ContextStats* stats = nullptr;  // ctx's counters
    // Their id, which the call path finds its thread's shard by; with kCrashMarkBit set while
    // crash reports are on, so that calls miss the shard cache and take the marking path.
    std::atomic<uint64_t> stats_id{0};
};

namespace jiffi::detail {

// A new function object (its published handle) for address and sig in ctx, prepared for the
// backend the context uses; what names it in errors. lib and symbol, when given, say where
// it was bound from (crash reports name them; else dladdr is asked).
jiffi_function* new_function(jiffi_context* ctx, void* address, const jiffi_signature* sig,
                             const std::string& what, const jiffi_library* lib = nullptr,
                             const char* symbol = nullptr);
// fn bound from lib by symbol (the signature's asm label when it has one and symbol is its
// C name).
jiffi_function* bind_function(jiffi_library* lib, const char* symbol, const jiffi_signature* sig);

// The invoker that calls fn now: its stub, or libffi's.
jiffi_invoker function_invoker(jiffi_function* fn);
// Waits up to timeout_ms (-1: no limit) for fn's stub; true when fn calls through one.
bool wait_for_stub(jiffi_function* fn, long timeout_ms);
// Calls fn (args checked) with errno captured into *errno_out right after the call.
void call_with_errno(jiffi_function* fn, const jiffi_slot* args, void* ret, int* errno_out);

// Reports on stderr why jiffi_function_call made no call: a NULL (handle null) or dead (fn
// null) function, or NULL args.
[[gnu::noinline, gnu::cold]] void refuse_call(const jiffi_function* handle, jiffi_function* fn);

// A call of a stub whose caller gave no return storage, with scratch for it.
[[gnu::noinline, gnu::cold]] void call_discarding(jiffi_function* fn, jiffi_invoker code, const jiffi_slot* args);
// A call whose shard is not in the thread's cache, or of a function marked for crash reports.
[[gnu::noinline, gnu::cold]] void call_slowly(jiffi_function* fn, const jiffi_slot* args, void* ret);

// Calls fn through its stub code, or through libffi when code is null.
inline void call_through(jiffi_function* fn, jiffi_invoker code, const jiffi_slot* args, void* ret) {
    if (code) {
        if (!ret && fn->ret_size) return call_discarding(fn, code, args);
        code(fn->address, args, ret);
    } else {
        fn->ffi->call(fn->address, args, ret);
    }
}

// Counts and makes a call of a live function whose arguments are checked: counted through
// the thread's shard cache, or on the slow path when the shard is not cached or fn is marked.
inline void call_counted(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    const ShardCacheEntry* hit = ContextStats::cached(fn->stats_id.load(std::memory_order_relaxed));
    if (!hit) [[unlikely]] return call_slowly(fn, args, ret);
    jiffi_invoker code = fn->jit.load(std::memory_order_acquire);
    count_call(code ? hit->shard->jit : hit->shard->libffi);
    call_through(fn, code, args, ret);
}

// The same, out of line (batches made one call at a time).
void call_function(jiffi_function* fn, const jiffi_slot* args, void* ret);

}  // namespace jiffi::detail
