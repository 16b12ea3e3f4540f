// Contexts: declarations, signature parsing and ownership, search paths; function lifetimes.
#include "runtime/context.hpp"

#include <cstdlib>
#include <cstring>

#include "base/secure_io.hpp"
#include "layout/record_layout.hpp"
#include "marshal/cparse.hpp"
#include "base/error.hpp"
#include "runtime/fork.hpp"

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

jiffi_context::jiffi_context(jiffi_backend b)
    : backend(b),
      types(Target::host()),
      jit_disabled(b == JIFFI_BACKEND_AUTO && env_on("JIFFI_DISABLE_JIT")),
      stats(std::make_shared<ContextStats>()) {
    install_record_layout(types);
    add_builtin_typedefs(types, decls_);
    search_paths_ = default_search_paths();
    fork_track_context(this);
}

jiffi_context::~jiffi_context() {
    fork_untrack_context(this);
    // An AUTO context's stubs may still be compiling in the background: finish first, so
    // that a program exiting right after never tears LLVM down under the compiler thread.
    if (backend == JIFFI_BACKEND_AUTO) TierCompiler::instance().quiesce();
}

void jiffi_context::cdef(const char* text) {
    std::lock_guard<std::mutex> lock(mu_);
    parse_declarations(types, decls_, text);
}

const jiffi_signature* jiffi_context::keep(CallSignature sig) {
    auto s = std::make_unique<jiffi_signature>();
    s->ctx = this;
    s->sig = std::move(sig);
    signatures_.push_back(std::move(s));
    return signatures_.back().get();
}

const jiffi_signature* jiffi_context::parse_signature(const char* text) {
    std::lock_guard<std::mutex> lock(mu_);
    // Names cannot be redefined, so one text always means one signature.
    auto it = by_text_.find(text);
    if (it != by_text_.end()) return it->second;
    ParsedSignature p = jiffi::detail::parse_signature(types, decls_, text);
    CallSignature sig =
        make_call_signature(types, p.function, p.name, &p.ret_spelling, &p.param_spellings);
    sig.symbol = p.symbol;
    return by_text_[text] = keep(std::move(sig));
}

const jiffi_signature* jiffi_context::vararg_signature(const jiffi_signature* proto,
                                                       const char* text) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string key = std::to_string(reinterpret_cast<uintptr_t>(proto)) + "|" + text;
    auto it = by_text_.find(key);
    if (it != by_text_.end()) return it->second;
    std::vector<const Type*> extra;
    std::vector<std::string> spellings;
    for (SpelledType& t : parse_spelled_type_list(types, decls_, text)) {
        extra.push_back(t.type);
        spellings.push_back(t.spelling.str());
    }
    return by_text_[key] = keep(make_vararg_signature(types, proto->sig, extra, &spellings));
}

std::vector<std::string> jiffi_context::search_paths() const {
    std::lock_guard<std::mutex> lock(mu_);
    return search_paths_;
}

void jiffi_context::set_search_paths(std::vector<std::string> paths) {
    std::lock_guard<std::mutex> lock(mu_);
    search_paths_ = std::move(paths);
}

jiffi_function::jiffi_function(jiffi_context* c, const jiffi_signature* s, void* a)
    : ctx_ref(c), ctx(c), sig(s), address(a), stats(c->stats.get()), stats_id(c->stats->id) {
    const Type* r = sig->sig.ret;
    ret_size = r->is_void() ? 0 : ctx->types.size_of(r);
    takes_args = !sig->sig.args.empty();
}

jiffi_function::~jiffi_function() {
    if (tier) TierCompiler::instance().detach(*tier, &jit);
}
