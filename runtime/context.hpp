// Contexts: one target's types, the declarations made in them, their signatures and options.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "marshal/cparse.hpp"
#include "marshal/decls.hpp"
#include "base/error.hpp"
#include "marshal/signature.hpp"
#include "marshal/type.hpp"
#include "runtime/handles.hpp"
#include "runtime/signature.hpp"
#include "runtime/tiering.hpp"

// A context: one target's types, the declarations made in it, its signatures and options.
// Reference counted (handles.hpp): its handle and each of its functions, libraries and
// callbacks hold a reference, so it lives until the last of them is gone.
struct jiffi_context {
    explicit jiffi_context(jiffi_backend b);
    // Leaves the set of contexts the fork handlers lock, then waits for the AUTO compiler
    // (which may be compiling the context's stubs) to go idle.
    ~jiffi_context();
    jiffi_context(const jiffi_context&) = delete;
    jiffi_context& operator=(const jiffi_context&) = delete;

    jiffi_backend backend;
    jiffi::detail::TypeTable types;
    bool jit_disabled = false;  // AUTO with JIFFI_DISABLE_JIT set at creation: libffi only
    // The backend decision, made here only: JIT contexts, and AUTO ones whose JIT is not
    // disabled, serve their functions, batches, invokers and callbacks by the JIT.
    bool uses_jit() const noexcept {
        return backend == JIFFI_BACKEND_JIT || (backend == JIFFI_BACKEND_AUTO && !jit_disabled);
    }
    std::shared_ptr<jiffi::detail::ContextStats> stats;

    // Parses C declarations into the context (all or nothing).
    void cdef(const char* text);
    // Parses a signature and keeps it for the context's lifetime.
    const jiffi_signature* parse_signature(const char* text);
    // Makes the call-site signature of variadic prototype proto.
    const jiffi_signature* vararg_signature(const jiffi_signature* proto, const char* types);

    // Parses one type name in C or keyword syntax against the context's declarations.
    const jiffi::detail::Type* parse_type(const char* text);
    // The same with the type's spelling as written ("wchar_t *" stays "wchar_t *").
    jiffi::detail::SpelledType parse_spelled_type(const char* text);

    std::vector<std::string> search_paths() const;
    void set_search_paths(std::vector<std::string> paths);
    // The same from a colon-separated list (empty entries skipped; NULL: none).
    void set_search_paths(const char* colon_list);

    // The context's lock, which the fork handlers take with every other jiffi lock.
    std::mutex& fork_mutex() const { return mu_; }

private:
    const jiffi_signature* keep(jiffi::detail::CallSignature sig);

    mutable std::mutex mu_;  // guards decls_, signatures_ and search_paths_
    jiffi::detail::Declarations decls_;
    std::deque<std::unique_ptr<jiffi_signature>> signatures_;
    std::map<std::string, const jiffi_signature*> by_text_;  // parsed text -> signature
    std::vector<std::string> search_paths_;
};

namespace jiffi::detail {

// A reference on a context, held by the objects that need it alive.
class ContextRef {
public:
    explicit ContextRef(jiffi_context* c) noexcept : ctx_(c) { HandlePool<jiffi_context>::retain(c); }
    ~ContextRef() { HandlePool<jiffi_context>::instance().release(ctx_); }
    ContextRef(const ContextRef&) = delete;
    ContextRef& operator=(const ContextRef&) = delete;

private:
    jiffi_context* ctx_;
};

// The handle of a new context on backend (checked by the caller); the first one made reads
// JIFFI_CRASH_REPORT.
jiffi_context* new_context(jiffi_backend backend);

}  // namespace jiffi::detail

