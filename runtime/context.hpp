// The objects behind the C API's opaque handles: contexts, signatures, libraries, functions.
#pragma once

#include <atomic>
#include <cstddef>
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
#include "callbacks/thunks.hpp"
#include "runtime/ffi_backend.hpp"
#include "runtime/handles.hpp"
#include "runtime/jit_backend.hpp"
#include "runtime/library.hpp"
#include "runtime/tiering.hpp"

namespace jiffi::detail {

// Return storage for a call whose caller gave none (ret NULL): stubs store a non-void result
// unconditionally, so such a call gets scratch of the return's size.
class ReturnStorage {
public:
    ReturnStorage(void* ret, size_t size) : ret_(ret) {
        if (!ret_ && size) {
            scratch_.resize(size / sizeof(std::max_align_t) + 2);
            ret_ = scratch_.data();
        }
    }
    void* get() const noexcept { return ret_; }

private:
    void* ret_;
    std::vector<std::max_align_t> scratch_;
};

}  // namespace jiffi::detail

// A parsed signature, owned by its context; prepared for libffi on first use.
struct jiffi_signature {
    jiffi_context* ctx = nullptr;
    jiffi::detail::CallSignature sig;

    // The libffi preparation of sig, made once; throws the Error it failed with.
    const jiffi::detail::FfiCall& ffi() const;
    // The same, shared with owners that may outlive the signature (libffi callbacks).
    std::shared_ptr<const jiffi::detail::FfiCall> ffi_shared() const;
    // The JIT classification of sig, made once (a refusal is reported by its acquire()).
    const jiffi::detail::JitSignature& jit() const;
    // The callback thunk of sig, compiled once (its error() says why the JIT cannot).
    const jiffi::detail::ThunkSignature& thunk() const;
    // The errno-capturing call stub of sig, compiled once; null when the JIT cannot make it.
    jiffi::detail::ErrnoInvoker errno_stub() const;
    // The JIT call stub of sig, compiled once and kept with sig; null when the JIT cannot.
    jiffi_invoker jit_invoker() const;

private:
    mutable std::once_flag ffi_once_;
    mutable std::shared_ptr<jiffi::detail::FfiCall> ffi_;
    mutable std::unique_ptr<jiffi::detail::Error> ffi_error_;
    mutable std::once_flag jit_once_;
    mutable std::unique_ptr<jiffi::detail::JitSignature> jit_;
    mutable std::once_flag thunk_once_;
    mutable const jiffi::detail::ThunkSignature* thunk_ = nullptr;
    mutable std::once_flag errno_once_;
    mutable jiffi::detail::StubRef errno_ref_;
    mutable std::once_flag invoker_once_;
    mutable jiffi::detail::StubRef invoker_ref_;

public:
    // The AUTO tiering job of sig, made by the first AUTO function; guarded by the
    // TierCompiler's mutex.
    mutable std::shared_ptr<jiffi::detail::TierJob> tier_job;
    // Set once a JIT context counted sig's stub as compiled.
    mutable std::atomic<bool> stub_counted{false};
    // AUTO callbacks: the tiering job of sig's thunk (guarded by the TierCompiler's mutex),
    // the thunk once the job delivered it (until then AUTO callbacks are made by libffi, so
    // no caller waits for the JIT), and the job's reference keeping it compiled.
    mutable std::shared_ptr<jiffi::detail::TierJob> thunk_job;
    mutable std::atomic<jiffi_invoker> thunk_ready{nullptr};
    mutable jiffi::detail::StubRef thunk_ready_ref;
};

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

    // Parses one type name in C or keyword syntax against the context's declarations
    // (defined in capi_foreign.cpp).
    const jiffi::detail::Type* parse_type(const char* text);
    // The same with the type's spelling as written ("wchar_t *" stays "wchar_t *").
    jiffi::detail::SpelledType parse_spelled_type(const char* text);

    std::vector<std::string> search_paths() const;
    void set_search_paths(std::vector<std::string> paths);

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

}  // namespace jiffi::detail

// An open library of a context; the functions bound from it keep it loaded.
struct jiffi_library {
    jiffi_library(jiffi_context* c, std::shared_ptr<jiffi::detail::LoadedLibrary> l)
        : ctx_ref(c), ctx(c), lib(std::move(l)) {}

    jiffi::detail::ContextRef ctx_ref;
    jiffi_context* ctx = nullptr;
    std::shared_ptr<jiffi::detail::LoadedLibrary> lib;
};

// A C function bound to a signature and ready to call: through its JIT stub when it has
// one, else through libffi.
struct jiffi_function {
    // A function of context c at address a, called by signature s.
    jiffi_function(jiffi_context* c, const jiffi_signature* s, void* a);
    // Leaves its tiering job (the compiler never touches it after).
    ~jiffi_function();
    jiffi_function(const jiffi_function&) = delete;
    jiffi_function& operator=(const jiffi_function&) = delete;

    jiffi::detail::ContextRef ctx_ref;  // first: released after everything else
    jiffi_context* ctx = nullptr;
    std::shared_ptr<jiffi::detail::LoadedLibrary> library;  // bound functions: keeps the code mapped
    // What a crash report names: the symbol (or "" when unknown) and the file it is in.
    std::string symbol;
    std::string library_path;
    const jiffi_signature* sig = nullptr;
    void* address = nullptr;
    size_t ret_size = 0;  // bytes a non-void return needs (scratch for a null ret)
    bool takes_args = false;  // the signature has arguments (so args must not be NULL)
    const jiffi::detail::FfiCall* ffi = nullptr;
    std::atomic<jiffi_invoker> jit{nullptr};  // the stub, once calls go through it
    jiffi::detail::StubRef stub;  // JIT contexts: holds the stub's code while the function lives
    std::shared_ptr<jiffi::detail::TierJob> tier;  // AUTO: the job delivering the stub
    jiffi::detail::ContextStats* stats = nullptr;  // ctx's counters
    // Their id, which the call path finds its thread's shard by; with kCrashMarkBit set while
    // crash reports are on, so that calls miss the shard cache and take the marking path.
    std::atomic<uint64_t> stats_id{0};
};

// The error object handed to C callers.
struct jiffi_error {
    int code = 0;
    std::string message;
};
