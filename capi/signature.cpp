// The C API: signatures (parsing, call-site signatures of variadic prototypes, type facts,
// invokers).
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/signature.hpp"
#include "runtime/types.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_signature_parse(jiffi_context* ctx, const char* text, jiffi_signature** out) {
    return guarded([&] {
        require(out, "jiffi_signature_parse", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_signature_parse", "ctx");
        require(text, "jiffi_signature_parse", "text");
        *out = const_cast<jiffi_signature*>(ctx->parse_signature(text));
    });
}

jiffi_error* jiffi_signature_vararg(jiffi_context* ctx, const jiffi_signature* variadic,
                                   const char* vararg_types, jiffi_signature** out) {
    return guarded([&] {
        require(out, "jiffi_signature_vararg", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_signature_vararg", "ctx");
        require(variadic, "jiffi_signature_vararg", "variadic");
        require(vararg_types, "jiffi_signature_vararg", "vararg_types");
        if (variadic->ctx != ctx)
            fail(ErrorCode::INVALID_ARGUMENT, "jiffi_signature_vararg: signature '" +
                                                  variadic->sig.text +
                                                  "' belongs to another context");
        *out = const_cast<jiffi_signature*>(ctx->vararg_signature(variadic, vararg_types));
    });
}

size_t jiffi_signature_arg_count(const jiffi_signature* sig) {
    return sig ? sig->sig.args.size() : 0;
}

int jiffi_signature_is_variadic(const jiffi_signature* sig) {
    return sig && sig->sig.variadic_prototype ? 1 : 0;
}

const char* jiffi_signature_name(const jiffi_signature* sig) {
    return sig ? sig->sig.name.c_str() : "";
}

const char* jiffi_signature_text(const jiffi_signature* sig) {
    return sig ? sig->sig.text.c_str() : "";
}

jiffi_error* jiffi_signature_type_info(const jiffi_signature* sig, long index,
                                      jiffi_type_info* info) {
    return guarded([&] {
        require(sig, "jiffi_signature_type_info", "sig");
        require(info, "jiffi_signature_type_info", "info");
        signature_type_info(sig, index, *info);
    });
}

jiffi_error* jiffi_signature_invoker(const jiffi_signature* sig, jiffi_invoker* out) {
    return guarded([&] {
        require(out, "jiffi_signature_invoker", "out");
        *out = nullptr;
        require(sig, "jiffi_signature_invoker", "sig");
        *out = signature_invoker(sig);
    });
}

jiffi_error* jiffi_signature_type_detail(const jiffi_signature* sig, long index,
                                         jiffi_type_detail* out) {
    return guarded([&] {
        require(sig, "jiffi_signature_type_detail", "sig");
        require(out, "jiffi_signature_type_detail", "out");
        const CallSignature& s = sig->sig;
        if (index < -1 || (index >= 0 && static_cast<size_t>(index) >= s.args.size()))
            fail(ErrorCode::INVALID_ARGUMENT,
                 "jiffi_signature_type_detail: index " + std::to_string(index) +
                     " out of range for '" + s.text + "' with " + std::to_string(s.args.size()) +
                     " arguments");
        const TypeTable& types = sig->ctx->types;
        if (index < 0)
            describe(types, s.ret, spelled_ret(types, s), *out);
        else
            describe(types, s.args[static_cast<size_t>(index)],
                     spelled_arg(types, s, static_cast<size_t>(index)), *out);
    });
}

}  // extern "C"
