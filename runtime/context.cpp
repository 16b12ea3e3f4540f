// Contexts: declarations, signature and type parsing, signature ownership, search paths.
#include "runtime/context.hpp"

#include <cstdlib>
#include <cstring>

#include "base/secure_io.hpp"
#include "layout/record_layout.hpp"
#include "marshal/cparse.hpp"
#include "base/error.hpp"
#include "runtime/crash.hpp"
#include "runtime/fork.hpp"
#include "runtime/library.hpp"

using namespace jiffi::detail;

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

const Type* jiffi_context::parse_type(const char* text) {
    std::lock_guard<std::mutex> lock(mu_);
    return parse_type_name(types, decls_, text);
}

SpelledType jiffi_context::parse_spelled_type(const char* text) {
    std::lock_guard<std::mutex> lock(mu_);
    return parse_spelled_type_name(types, decls_, text);
}

void jiffi_context::set_search_paths(const char* colon_list) {
    std::vector<std::string> list;
    std::string all = colon_list ? colon_list : "";
    size_t start = 0;
    while (start <= all.size()) {
        size_t end = all.find(':', start);
        if (end == std::string::npos) end = all.size();
        if (end > start) list.push_back(all.substr(start, end - start));
        start = end + 1;
    }
    set_search_paths(std::move(list));
}

jiffi_context* jiffi::detail::new_context(jiffi_backend backend) {
    static std::once_flag crash_from_env;
    std::call_once(crash_from_env, [] { crash_install_from_env(); });
    HandlePool<jiffi_context>& pool = HandlePool<jiffi_context>::instance();
    return as_handle<jiffi_context>(pool.publish(pool.make(backend)));
}
