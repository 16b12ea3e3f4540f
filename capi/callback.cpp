// The C API: callbacks.
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/callbacks.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_callback_create(jiffi_context* ctx, const jiffi_signature* sig,
                                  jiffi_handler handler, void* user_data, jiffi_callback** out) {
    return guarded([&] {
        require(out, "jiffi_callback_create", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_callback_create", "ctx");
        require(sig, "jiffi_callback_create", "sig");
        require(reinterpret_cast<const void*>(handler), "jiffi_callback_create", "handler");
        *out = make_callback(ctx, sig, handler, user_data);
    });
}

jiffi_error* jiffi_callback_create_ex(jiffi_context* ctx, const jiffi_signature* sig, jiffi_handler handler,
                                     void* user_data, void (*dispose)(void*), jiffi_callback** out) {
    return guarded([&] {
        require(out, "jiffi_callback_create_ex", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_callback_create_ex", "ctx");
        require(sig, "jiffi_callback_create_ex", "sig");
        require(reinterpret_cast<const void*>(handler), "jiffi_callback_create_ex", "handler");
        *out = make_callback(ctx, sig, handler, user_data, dispose);
    });
}

void* jiffi_callback_code(jiffi_callback* cb) { return callback_code(cb); }

void jiffi_callback_release(jiffi_callback* cb) { release_callback(cb); }

}  // extern "C"
