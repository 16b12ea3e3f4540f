// The C API: libraries.
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/library.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_library_open(jiffi_context* ctx, const char* name, jiffi_library** out) {
    return guarded([&] {
        require(out, "jiffi_library_open", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_library_open", "ctx");
        *out = new_library(ctx, name);
    });
}

jiffi_error* jiffi_library_symbol(jiffi_library* lib, const char* symbol, void** out) {
    return guarded([&] {
        require(out, "jiffi_library_symbol", "out");
        *out = nullptr;
        lib = require_live(lib, "jiffi_library_symbol", "lib");
        require(symbol, "jiffi_library_symbol", "symbol");
        *out = lib->lib->symbol(symbol);
    });
}

void jiffi_library_close(jiffi_library* lib) {
    // The library stays loaded while functions bound from it live.
    if (lib && !HandlePool<jiffi_library>::instance().destroy(lib))
        report_bad_handle("jiffi_library_close", "library", lib, HandlePool<jiffi_library>::state(lib));
}

const char* jiffi_library_path(const jiffi_library* lib) {
    const jiffi_library* l = check_live(lib, "jiffi_library_path");
    return l ? l->lib->path().c_str() : "";
}

}  // extern "C"
