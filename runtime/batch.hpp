// Batches: a sequence of bound functions called as one JIT-compiled function, so the
// per-call dispatch is paid once per batch.
#pragma once

#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_cache.hpp"

// A batch of calls: compiled into one function when the JIT serves every call, else made one
// by one through jiffi_function_call.
struct jiffi_batch {
    std::vector<jiffi_function*> fns;  // not owned: they outlive the batch
    std::vector<size_t> ret_sizes;     // bytes each non-void return needs (scratch for NULL)
    jiffi::detail::StubRef code;       // the compiled batch, when there is one
    using BatchFn = void (*)(const jiffi_slot* const* args, void* const* rets);
    BatchFn compiled = nullptr;
};

namespace jiffi::detail {

// A batch of fns[0..count); compiled when their contexts use the JIT (AUTO included) and the
// JIT serves every signature. Throws Error(INVALID_ARGUMENT) for a null function or an
// empty batch, naming the position.
jiffi_batch* make_batch(jiffi_function* const* fns, size_t count);

// Makes the batch's calls in order.
void call_batch(jiffi_batch* b, const jiffi_slot* const* args, void* const* rets);

}  // namespace jiffi::detail
