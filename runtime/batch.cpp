// Batches: one JIT function making a sequence of calls, or the calls one by one.
#include "runtime/batch.hpp"

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "runtime/context.hpp"
#include "runtime/function.hpp"
#include "runtime/handles.hpp"

jiffi_batch::~jiffi_batch() {
    for (jiffi_function* fn : fns) jiffi::detail::HandlePool<jiffi_function>::instance().release(fn);
}

namespace jiffi::detail {

jiffi_batch* make_batch(jiffi_function* const* fns, size_t count) {
    if (!fns || count == 0) fail(ErrorCode::INVALID_ARGUMENT, "jiffi_batch_create: a batch needs at least one function");
    HandlePool<jiffi_batch>& pool = HandlePool<jiffi_batch>::instance();
    std::unique_ptr<jiffi_batch, void (*)(jiffi_batch*)> b(pool.make(), [](jiffi_batch* p) {
        HandlePool<jiffi_batch>::instance().release(p);
    });
    b->fns.reserve(count);
    bool jit = true;
    StubSpec spec;
    spec.kind = StubKind::Batch;
    for (size_t i = 0; i < count; ++i) {
        if (!fns[i]) fail(ErrorCode::INVALID_ARGUMENT, "jiffi_batch_create: function " + std::to_string(i) + " is NULL");
        jiffi_function* fn = HandlePool<jiffi_function>::resolve(fns[i]);
        if (!fn)
            fail(ErrorCode::INVALID_ARGUMENT, "jiffi_batch_create: function " + std::to_string(i) +
                                                  " is not a live function (destroyed, or stale)");
        HandlePool<jiffi_function>::retain(fn);
        b->fns.push_back(fn);
        if (fn->takes_args) b->arg_calls.push_back(static_cast<uint32_t>(i));
        if (fn->ret_size) b->ret_calls.push_back(static_cast<uint32_t>(i));
        b->ret_sizes.push_back(fn->ret_size);
        const jiffi_context* ctx = fn->ctx;
        const StubSpec* call = ctx->uses_jit() ? fn->sig->jit().spec() : nullptr;
        if (!call) {
            jit = false;
            continue;
        }
        spec.calls.push_back(*call);
        spec.fns.push_back(reinterpret_cast<uint64_t>(fn->address));
    }
    if (jit) {
        std::vector<StubRef> refs = StubCache::global().acquire_batch({&spec});
        if (refs[0].ok()) {
            b->code = std::move(refs[0]);
            b->compiled = reinterpret_cast<jiffi_batch::BatchFn>(b->code.address());
        }
    }
    return as_handle<jiffi_batch>(pool.publish(b.release()));
}

void call_batch(jiffi_batch* b, const jiffi_slot* const* args, void* const* rets) {
    size_t n = b->fns.size();
    for (uint32_t i : b->arg_calls) {
        if (!args[i]) [[unlikely]] {
            std::fprintf(stderr, "jiffi: jiffi_batch_call: args[%u] is NULL for '%s', which takes arguments; no call made\n",
                         i, b->fns[i]->sig->sig.text.c_str());
            return;
        }
    }
    // Compiled calls store every non-void result: NULL return storage gets scratch.
    bool scratch = !rets && !b->ret_calls.empty();
    if (rets)
        for (uint32_t i : b->ret_calls)
            if (!rets[i]) {
                scratch = true;
                break;
            }
    if (b->compiled && !scratch) return b->compiled(args, rets);
    if (b->compiled) {
        std::vector<void*> own(n);
        std::vector<ReturnStorage> space;
        space.reserve(n);
        for (size_t i = 0; i < n; ++i) own[i] = space.emplace_back(rets ? rets[i] : nullptr, b->ret_sizes[i]).get();
        return b->compiled(args, own.data());
    }
    for (size_t i = 0; i < n; ++i) call_function(b->fns[i], args[i], rets ? rets[i] : nullptr);
}

}  // namespace jiffi::detail
