// The C API: contexts (creation, declarations, search paths, counters).
#include <type_traits>

#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/context.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_context_create(jiffi_backend backend, jiffi_context** out) {
    return guarded([&] {
        require(out, "jiffi_context_create", "out");
        *out = nullptr;
        // The integer the caller passed, read as such: a value outside the enum is never
        // loaded as a jiffi_backend.
        std::underlying_type_t<jiffi_backend> raw;
        static_assert(sizeof raw == sizeof backend);
        std::memcpy(&raw, &backend, sizeof raw);
        switch (raw) {
        // A JIT context loads the JIT plugin at its first bind or callback, not here.
        case JIFFI_BACKEND_AUTO:
        case JIFFI_BACKEND_LIBFFI:
        case JIFFI_BACKEND_JIT: break;
        default:
            fail(ErrorCode::INVALID_ARGUMENT,
                 "jiffi_context_create: unknown backend " + std::to_string(static_cast<int>(raw)) +
                     " (expected JIFFI_BACKEND_AUTO, _JIT or _LIBFFI)");
        }
        *out = new_context(static_cast<jiffi_backend>(raw));
    });
}

void jiffi_context_destroy(jiffi_context* ctx) {
    // The context itself goes once its functions, libraries and callbacks are gone too.
    if (ctx && !HandlePool<jiffi_context>::instance().destroy(ctx))
        report_bad_handle("jiffi_context_destroy", "context", ctx, HandlePool<jiffi_context>::state(ctx));
}

jiffi_backend jiffi_context_backend(const jiffi_context* ctx) {
    const jiffi_context* c = check_live(ctx, "jiffi_context_backend");
    return c ? c->backend : JIFFI_BACKEND_AUTO;
}

jiffi_error* jiffi_cdef(jiffi_context* ctx, const char* declarations) {
    return guarded([&] {
        ctx = require_live(ctx, "jiffi_cdef", "ctx");
        require(declarations, "jiffi_cdef", "declarations");
        ctx->cdef(declarations);
    });
}

jiffi_error* jiffi_context_set_search_paths(jiffi_context* ctx, const char* paths) {
    return guarded([&] {
        ctx = require_live(ctx, "jiffi_context_set_search_paths", "ctx");
        ctx->set_search_paths(paths);
    });
}

jiffi_error* jiffi_context_stats(const jiffi_context* ctx, jiffi_stats* out) {
    return guarded([&] {
        require(out, "jiffi_context_stats", "out");
        ctx = require_live(ctx, "jiffi_context_stats", "ctx");
        *out = ctx->stats->snapshot();
    });
}

size_t jiffi_context_declined_reason(const jiffi_context* ctx, size_t index, char* buf,
                                     size_t len, uint64_t* count) {
    ctx = check_live(ctx, "jiffi_context_declined_reason");
    if (!ctx) return 0;
    try {
        std::string text;
        uint64_t n = 0;
        if (!ctx->stats->reason(index, text, n)) return 0;
        if (count) *count = n;
        return copy_out(text, buf, len);
    } catch (...) {
        return 0;
    }
}

size_t jiffi_context_search_paths(const jiffi_context* ctx, char* buf, size_t len) {
    ctx = check_live(ctx, "jiffi_context_search_paths");
    if (!ctx) return copy_out("", buf, len);
    try {
        std::string joined;
        for (const std::string& p : ctx->search_paths()) joined += (joined.empty() ? "" : ":") + p;
        return copy_out(joined, buf, len);
    } catch (...) {
        return 0;
    }
}

}  // extern "C"
