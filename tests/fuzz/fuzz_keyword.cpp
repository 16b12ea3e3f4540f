// libFuzzer target: the keyword form (":unsigned-long (:string)") as a signature, a type
// name and a list of variadic argument types.
#include <string_view>

#include "fuzz_util.hpp"

// Splits the input at its first newline: the first part is parsed as a keyword-form
// signature and a type name, the rest as the variadic argument list of a printf-like call.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    jiffi::fuzz::Context ctx;
    std::string text = jiffi::fuzz::text_of(data, size);
    std::string head = text.substr(0, text.find('\n'));
    std::string tail = head.size() < text.size() ? text.substr(head.size() + 1) : std::string();

    jiffi_signature* sig = nullptr;
    jiffi_error* err = jiffi_signature_parse(ctx.get(), head.c_str(), &sig);
    if (!err) {
        size_t count = jiffi_signature_arg_count(sig);
        for (long i = -1; i < static_cast<long>(count); ++i) {
            jiffi_type_detail detail;
            jiffi::fuzz::check_error(jiffi_signature_type_detail(sig, i, &detail));
        }
    }
    jiffi::fuzz::check_error(err);

    jiffi_type_detail detail;
    jiffi::fuzz::check_error(jiffi_type_describe(ctx.get(), head.c_str(), &detail));

    jiffi_signature* variadic = nullptr;
    if (jiffi_error* e = jiffi_signature_parse(ctx.get(), ":int (:string, ...)", &variadic)) {
        std::fprintf(stderr, "variadic prototype: %s\n", jiffi_error_message(e));
        std::abort();
    }
    jiffi_signature* call = nullptr;
    jiffi::fuzz::check_error(jiffi_signature_vararg(ctx.get(), variadic, tail.c_str(), &call));
    return 0;
}
