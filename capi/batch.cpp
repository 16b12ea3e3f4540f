// The C API: batches.
#include <cstdio>

#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/batch.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_batch_create(jiffi_function* const* fns, size_t count, jiffi_batch** out) {
    return guarded([&] {
        require(out, "jiffi_batch_create", "out");
        *out = nullptr;
        *out = make_batch(fns, count);
    });
}

void jiffi_batch_call(jiffi_batch* b, const jiffi_slot* const* args, void* const* rets) {
    if (!b) return (void)std::fprintf(stderr, "jiffi: jiffi_batch_call: argument 'b' is NULL; no call made\n");
    b = check_live(b, "jiffi_batch_call");
    if (!b) return;
    if (!args) return (void)std::fprintf(stderr, "jiffi: jiffi_batch_call: argument 'args' is NULL; no call made\n");
    call_batch(b, args, rets);
}

int jiffi_batch_is_compiled(const jiffi_batch* b) {
    b = check_live(b, "jiffi_batch_is_compiled");
    return b && b->compiled ? 1 : 0;
}

void jiffi_batch_destroy(jiffi_batch* b) {
    if (b && !HandlePool<jiffi_batch>::instance().destroy(b))
        report_bad_handle("jiffi_batch_destroy", "batch", b, HandlePool<jiffi_batch>::state(b));
}

}  // extern "C"
