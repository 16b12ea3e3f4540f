// Signatures: the libffi preparation, the JIT classification, the thunk, the errno stub and
// the invoker of each, made once; the facts of its types for the C API.
#include "runtime/signature.hpp"

#include "base/error.hpp"
#include "base/messages.hpp"
#include "runtime/context.hpp"

using namespace jiffi::detail;

const FfiCall& jiffi_signature::ffi() const {
    std::call_once(ffi_once_, [this] {
        try {
            ffi_ = std::make_shared<FfiCall>(ctx->types, sig);
        } catch (const Error& e) {
            ffi_error_ = std::make_unique<Error>(e);
        }
    });
    if (ffi_error_) throw *ffi_error_;
    return *ffi_;
}

std::shared_ptr<const FfiCall> jiffi_signature::ffi_shared() const {
    ffi();
    return ffi_;
}

const JitSignature& jiffi_signature::jit() const {
    std::call_once(jit_once_, [this] { jit_ = std::make_unique<JitSignature>(ctx->types, sig); });
    return *jit_;
}

const jiffi::detail::ThunkSignature& jiffi_signature::thunk() const {
    std::call_once(thunk_once_, [this] {
        const jiffi::detail::JitSignature& j = jit();
        // Keyed by the structural text: spellings of one signature share one thunk.
        thunk_ = &jiffi::detail::intern_thunk(sig.key, j.spec(), j.error());
    });
    return *thunk_;
}

jiffi::detail::ErrnoInvoker jiffi_signature::errno_stub() const {
    std::call_once(errno_once_, [this] {
        const jiffi::detail::JitSignature& j = jit();
        if (!j.spec()) return;
        jiffi::detail::StubSpec spec = *j.spec();
        spec.kind = jiffi::detail::StubKind::ErrnoInvoker;
        std::vector<jiffi::detail::StubRef> refs = jiffi::detail::StubCache::global().acquire_batch({&spec});
        errno_ref_ = std::move(refs[0]);
    });
    return errno_ref_.ok() ? reinterpret_cast<jiffi::detail::ErrnoInvoker>(errno_ref_.address()) : nullptr;
}

jiffi_invoker jiffi_signature::jit_invoker() const {
    std::call_once(invoker_once_, [this] {
        if (!jit().spec()) return;
        std::vector<jiffi::detail::StubRef> refs = jiffi::detail::StubCache::global().acquire_batch({jit().spec()});
        invoker_ref_ = std::move(refs[0]);
    });
    return invoker_ref_.ok() ? invoker_ref_.code() : nullptr;
}

jiffi_invoker jiffi::detail::signature_invoker(const jiffi_signature* sig) {
    if (sig->sig.variadic_prototype)
        fail(ErrorCode::VARIADIC, messages::variadic_prototype(sig->sig.text, "", "for an invoker"));
    const jiffi_context* ctx = sig->ctx;
    if (ctx->uses_jit()) {
        if (jiffi_invoker code = sig->jit_invoker()) return code;
        if (ctx->backend == JIFFI_BACKEND_JIT) sig->jit().acquire();  // throws why
    }
    return sig->ffi().invoker();
}

void jiffi::detail::signature_type_info(const jiffi_signature* sig, long index, jiffi_type_info& info) {
    const CallSignature& s = sig->sig;
    if (index < -1 || (index >= 0 && static_cast<size_t>(index) >= s.args.size()))
        fail(ErrorCode::INVALID_ARGUMENT,
             "jiffi_signature_type_info: index " + std::to_string(index) +
                 " out of range for '" + s.text + "' with " +
                 std::to_string(s.args.size()) + " arguments");
    const Type* t = index < 0 ? s.ret : s.args[static_cast<size_t>(index)];
    const TypeTable& types = sig->ctx->types;
    info.value_class = static_cast<jiffi_value_class>(value_class(types, t));
    info.size = t->is_void() ? 0 : types.size_of(t);
    info.align = t->is_void() ? 1 : types.align_of(t);
    info.is_char_pointer =
        t->is_pointer() && t->inner->kind == TypeKind::Prim &&
        (t->inner->prim == Prim::Char || t->inner->prim == Prim::SChar ||
         t->inner->prim == Prim::UChar);
}
