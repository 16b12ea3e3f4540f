// libFuzzer target: jiffi_signature_parse over arbitrary text (C prototypes, function types).
#include "fuzz_util.hpp"

namespace {

// Declarations the signatures may name (records by value, typedefs, a prototype by name).
constexpr const char* kPrelude =
    "struct vec2 { double x, y; }; typedef struct { char c; int i; } pair_t;"
    "union u { int i; float f; }; enum e { A, B = 5 }; typedef int (*cb_t)(int);"
    "struct bits { unsigned a : 3, b : 5; long long c : 40; };"
    "size_t strlen(const char *); int printf(const char *, ...);";

}  // namespace

// Parses the input as a signature in a context holding kPrelude's declarations and, when it
// parses, reads back every argument's and the return type's description.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    jiffi::fuzz::Context ctx;
    if (jiffi_error* err = jiffi_cdef(ctx.get(), kPrelude)) {
        std::fprintf(stderr, "prelude: %s\n", jiffi_error_message(err));
        std::abort();
    }
    std::string text = jiffi::fuzz::text_of(data, size);
    jiffi_signature* sig = nullptr;
    jiffi_error* err = jiffi_signature_parse(ctx.get(), text.c_str(), &sig);
    if (err) {
        jiffi::fuzz::check_error(err);
        return 0;
    }
    size_t count = jiffi_signature_arg_count(sig);
    for (long i = -1; i < static_cast<long>(count); ++i) {
        jiffi_type_detail detail;
        jiffi::fuzz::check_error(jiffi_signature_type_detail(sig, i, &detail));
    }
    return 0;
}
