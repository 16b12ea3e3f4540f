// The C API: define-c-struct-auto (records discovered from C headers).
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/discover_client.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_layout_discover(jiffi_context* ctx, const jiffi_layout_request* req, jiffi_auto_record* out) {
    return guarded([&] {
        if (!ctx || !req || !out)
            fail(ErrorCode::INVALID_ARGUMENT, std::string("jiffi_layout_discover: argument '") +
                                                  (!ctx ? "ctx" : !req ? "req" : "out") + "' is NULL");
        ctx = require_live(ctx, "jiffi_layout_discover", "ctx");
        layout_discover(ctx, *req, *out);
    });
}

jiffi_error* jiffi_layout_member(jiffi_context* ctx, const char* type_name, size_t index, jiffi_auto_member* out) {
    return guarded([&] {
        if (!ctx || !type_name || !out)
            fail(ErrorCode::INVALID_ARGUMENT, std::string("jiffi_layout_member: argument '") +
                                                  (!ctx ? "ctx" : !type_name ? "type_name" : "out") + "' is NULL");
        ctx = require_live(ctx, "jiffi_layout_member", "ctx");
        layout_member(ctx, type_name, index, *out);
    });
}

void jiffi_layout_cache_stats(jiffi_layout_stats* out) {
    if (out) *out = layout_cache_stats();
}

}  // extern "C"
