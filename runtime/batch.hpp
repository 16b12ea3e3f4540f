// Batches: a sequence of bound functions called as one JIT-compiled function, so the
// per-call dispatch is paid once per batch.
#pragma once

#include <cstdint>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_cache.hpp"

// A batch of calls: compiled into one function when the JIT serves every call, else made one
// by one through jiffi_function_call.
struct jiffi_batch {
    jiffi_batch() = default;
    // Drops the batch's references on its functions.
    ~jiffi_batch();
    jiffi_batch(const jiffi_batch&) = delete;
    jiffi_batch& operator=(const jiffi_batch&) = delete;

    std::vector<jiffi_function*> fns;  // each holds a reference: they live while the batch does
    std::vector<size_t> ret_sizes;     // bytes each non-void return needs (scratch for NULL)
    // The checks each call makes, worked out once: the calls that need args[i], and those
    // whose non-void result needs rets[i] (else scratch).
    std::vector<uint32_t> arg_calls;
    std::vector<uint32_t> ret_calls;
    jiffi::detail::StubRef code;       // the compiled batch, when there is one
    using BatchFn = void (*)(const jiffi_slot* const* args, void* const* rets);
    BatchFn compiled = nullptr;
};

namespace jiffi::detail {

// The handle of a new batch of fns[0..count) (handles); compiled when their contexts use the
// JIT (AUTO included) and the JIT serves every signature. Throws Error(INVALID_ARGUMENT) for
// an empty batch, or a NULL or dead function, naming its position.
jiffi_batch* make_batch(jiffi_function* const* fns, size_t count);

// Makes the batch's calls in order; makes none, reporting it on stderr, when a call that
// takes arguments has NULL args[i].
void call_batch(jiffi_batch* b, const jiffi_slot* const* args, void* const* rets);

}  // namespace jiffi::detail
