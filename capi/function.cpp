// The C API: functions (made, bound, called, their invokers and stubs).
#include <cstdio>

#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/function.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_function_create(jiffi_context* ctx, void* address, const jiffi_signature* sig,
                                  jiffi_function** out) {
    return guarded([&] {
        require(out, "jiffi_function_create", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_function_create", "ctx");
        require(address, "jiffi_function_create", "address");
        require(sig, "jiffi_function_create", "sig");
        char where[64];
        std::snprintf(where, sizeof(where), "the function at %p", address);
        *out = new_function(ctx, address, sig, where);
    });
}

jiffi_error* jiffi_function_bind(jiffi_library* lib, const char* symbol,
                                const jiffi_signature* sig, jiffi_function** out) {
    return guarded([&] {
        require(out, "jiffi_function_bind", "out");
        *out = nullptr;
        lib = require_live(lib, "jiffi_function_bind", "lib");
        require(symbol, "jiffi_function_bind", "symbol");
        require(sig, "jiffi_function_bind", "sig");
        *out = bind_function(lib, symbol, sig);
    });
}

void jiffi_function_call(jiffi_function* handle, const jiffi_slot* args, void* ret) {
    // A NULL or dead function, or missing arguments, is reported on stderr and no call made.
    jiffi_function* fn = HandlePool<jiffi_function>::resolve(handle);
    if (!fn || (!args && fn->takes_args)) [[unlikely]] return refuse_call(handle, fn);
    call_counted(fn, args, ret);
}

jiffi_invoker jiffi_function_invoker(jiffi_function* fn) {
    fn = check_live(fn, "jiffi_function_invoker");
    return fn ? function_invoker(fn) : nullptr;
}

int jiffi_function_wait_jit(jiffi_function* fn, long timeout_ms) {
    fn = check_live(fn, "jiffi_function_wait_jit");
    return fn && wait_for_stub(fn, timeout_ms) ? 1 : 0;
}

void* jiffi_function_address(jiffi_function* fn) {
    fn = check_live(fn, "jiffi_function_address");
    return fn ? fn->address : nullptr;
}

const jiffi_signature* jiffi_function_signature(const jiffi_function* fn) {
    fn = check_live(fn, "jiffi_function_signature");
    return fn ? fn->sig : nullptr;
}

void jiffi_function_destroy(jiffi_function* fn) {
    // Batches holding the function keep it alive until they are destroyed.
    if (fn && !HandlePool<jiffi_function>::instance().destroy(fn))
        report_bad_handle("jiffi_function_destroy", "function", fn, HandlePool<jiffi_function>::state(fn));
}

jiffi_error* jiffi_function_call_errno(jiffi_function* fn, const jiffi_slot* args, void* ret, int* errno_out) {
    return guarded([&] {
        fn = require_live(fn, "jiffi_function_call_errno", "fn");
        require(errno_out, "jiffi_function_call_errno", "errno_out");
        if (!args && !fn->sig->sig.args.empty())
            fail(ErrorCode::INVALID_ARGUMENT, "jiffi_function_call_errno: argument 'args' is NULL for '" +
                                                  fn->sig->sig.text + "', which takes arguments");
        call_with_errno(fn, args, ret, errno_out);
    });
}

}  // extern "C"
