// Helpers shared by jiffi's libFuzzer targets: a context per input, errors disposed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

#include "jiffi/jiffi.h"

namespace jiffi::fuzz {

// The fuzzer's bytes as a string (the C API reads NUL-terminated text, so it ends at the first NUL).
inline std::string text_of(const uint8_t* data, size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// Disposes err after checking that a failure carries a message and a non-zero code, which
// every C API error must (an empty one would mean a reader lost the reason for a rejection).
inline void check_error(jiffi_error* err) {
    if (!err) return;
    const char* message = jiffi_error_message(err);
    if (!message || !*message || jiffi_error_code(err) == 0) {
        std::fprintf(stderr, "jiffi error without a message or code\n");
        std::abort();
    }
    jiffi_error_dispose(err);
}

// A libffi-backed context (no JIT: parsing does not need it), destroyed with the object.
class Context {
public:
    Context() {
        if (jiffi_error* err = jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx_)) {
            std::fprintf(stderr, "jiffi_context_create: %s\n", jiffi_error_message(err));
            std::abort();
        }
    }
    ~Context() { jiffi_context_destroy(ctx_); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    jiffi_context* get() const { return ctx_; }

private:
    jiffi_context* ctx_ = nullptr;
};

}  // namespace jiffi::fuzz
