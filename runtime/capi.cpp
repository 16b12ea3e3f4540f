// The C API of jiffi.h: argument checks, exception-to-error conversion, object lifetimes.
#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/jit_engine.hpp"
#include "base/error.hpp"
#include "callbacks/slot_table.hpp"
#include "runtime/batch.hpp"
#include "runtime/callbacks.hpp"
#include "runtime/capi_util.hpp"
#include "runtime/context.hpp"
#include "runtime/crash.hpp"
#include "runtime/handles.hpp"

using namespace jiffi::detail;

jiffi_error jiffi::detail::oom_error{JIFFI_E_OUT_OF_MEMORY, "out of memory"};

void jiffi::detail::report_bad_handle(const char* api, const char* what, const void* handle,
                                      HandleState why) noexcept {
    const char* text = why == HandleState::Destroyed ? "was destroyed already"
                       : why == HandleState::Stale   ? "is stale (its object was destroyed; the handle is not a live one)"
                                                     : "is live now";
    std::fprintf(stderr, "jiffi: %s: the %s handle %p %s; nothing done\n", api, what, handle, text);
}

namespace {

void attach_tier(jiffi_function& fn);

// Makes a function object for address and sig, preparing the backend the context uses.
jiffi_function* new_function(jiffi_context* ctx, void* address, const jiffi_signature* sig,
                             const std::string& what, const jiffi_library* lib = nullptr,
                             const char* symbol = nullptr) {
    if (sig->ctx != ctx)
        fail(ErrorCode::INVALID_ARGUMENT,
             "signature '" + sig->sig.text + "' belongs to another context");
    if (sig->sig.variadic_prototype)
        fail(ErrorCode::VARIADIC, "signature '" + sig->sig.text + "' of " + what +
                                      " is a variadic prototype: make a call-site signature "
                                      "with jiffi_signature_vararg to call it");
    HandlePool<jiffi_function>& pool = HandlePool<jiffi_function>::instance();
    jiffi_function* fn = pool.make(ctx, sig, address);
    try {
        if (lib) {
            fn->library = lib->lib;
            fn->symbol = symbol;
            fn->library_path = lib->lib->path();
        } else if (Dl_info info{}; dladdr(address, &info)) {
            if (info.dli_sname && info.dli_saddr == address) fn->symbol = info.dli_sname;
            if (info.dli_fname) fn->library_path = info.dli_fname;
        }
        if (ctx->backend == JIFFI_BACKEND_JIT) {
            fn->stub = sig->jit().acquire();
            fn->jit.store(fn->stub.code(), std::memory_order_release);
            if (!sig->stub_counted.exchange(true)) ctx->stats->stubs_compiled.fetch_add(1);
        } else if (ctx->backend == JIFFI_BACKEND_LIBFFI) {
            fn->ffi = &sig->ffi();
        } else {
            attach_tier(*fn);
        }
    } catch (...) {
        pool.release(fn);
        throw;
    }
    uintptr_t handle = pool.publish(fn);
    // Either this sees reports on, or crash_install's marking pass sees the handle live.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (crash_reports_on()) fn->stats_id.fetch_or(kCrashMarkBit, std::memory_order_relaxed);
    return as_handle<jiffi_function>(handle);
}

// The AUTO tiering job of fn's signature, made now: declined up front when the JIT is
// disabled or the classifier refuses the signature, else ready to compile.
std::shared_ptr<TierJob> make_tier_job(const jiffi_function& fn) {
    const jiffi_signature* sig = fn.sig;
    const std::shared_ptr<ContextStats>& stats = fn.ctx->stats;
    if (fn.ctx->jit_disabled)
        return std::make_shared<TierJob>(sig->sig.text, stats,
                                         "the JIT is disabled (JIFFI_DISABLE_JIT is set)");
    const JitSignature& jit = sig->jit();
    if (!jit.spec()) {
        try {
            jit.acquire();
        } catch (const Error& e) {
            return std::make_shared<TierJob>(sig->sig.text, stats, e.message());
        }
    }
    return std::make_shared<TierJob>(*jit.spec(), sig->sig.text, stats);
}

// AUTO: serves fn by libffi and subscribes it to its stub, compiled in the background; a
// signature libffi refuses is compiled before returning (an error if the JIT declines it too).
void attach_tier(jiffi_function& fn) {
    const jiffi_signature* sig = fn.sig;
    std::unique_ptr<Error> refused;
    try {
        fn.ffi = &sig->ffi();
    } catch (const Error& e) {
        if (e.code() != ErrorCode::UNSUPPORTED || fn.ctx->jit_disabled) throw;
        refused = std::make_unique<Error>(e);
    }
    if (!fn.ctx->jit_disabled && !refused) sig->jit();  // classified outside the compiler's lock
    TierCompiler& compiler = TierCompiler::instance();
    TierPhase phase = compiler.attach(sig->tier_job, [&fn] { return make_tier_job(fn); },
                                      TierWaiter{&fn.jit, !refused, &fn.stub});
    // The job, once made, is never replaced: reading it after attach() is safe.
    std::shared_ptr<TierJob> job = sig->tier_job;
    if (phase == TierPhase::Queued || phase == TierPhase::Compiling) {
        fn.tier = job;
        if (refused) phase = compiler.wait(*job, -1);
    }
    // A declined job's reason is final once its phase was seen under the compiler's lock.
    if (refused && phase == TierPhase::Declined)
        fail(ErrorCode::UNSUPPORTED, refused->message() + "; " + job->reason);
}

// Calls a stub with scratch return storage: stubs store their result unconditionally.
[[gnu::noinline, gnu::cold]] void call_discarding(jiffi_function* fn, jiffi_invoker code,
                                                  const jiffi_slot* args) {
    ReturnStorage ret(nullptr, fn->ret_size);
    code(fn->address, args, ret.get());
}

// Calls fn through its stub code, or through libffi when code is null.
inline void call_through(jiffi_function* fn, jiffi_invoker code, const jiffi_slot* args, void* ret) {
    if (code) {
        if (!ret && fn->ret_size) return call_discarding(fn, code, args);
        code(fn->address, args, ret);
    } else {
        fn->ffi->call(fn->address, args, ret);
    }
}

// Counts a call through the thread's shard cache (by the context's id without the crash
// mark) or, when the shard is not cached, on the slow path that makes it; then makes it.
void count_and_call(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    jiffi_invoker code = fn->jit.load(std::memory_order_acquire);
    const ShardCacheEntry* hit = ContextStats::cached(fn->stats_id.load(std::memory_order_relaxed) & ~kCrashMarkBit);
    if (hit) count_call(code ? hit->shard->jit : hit->shard->libffi);
    else fn->stats->count(code != nullptr);
    call_through(fn, code, args, ret);
}

// A call whose shard is not in the thread's cache, or of a function marked for crash
// reports: made with the thread's crash mark naming fn while reports are on.
[[gnu::noinline, gnu::cold]] void call_slowly(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    if (!crash_reports_on()) return count_and_call(fn, args, ret);
    CrashMark mark(fn);
    count_and_call(fn, args, ret);
}

// Counts and makes a call of a live function with its arguments checked.
inline void call_counted(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    const ShardCacheEntry* hit = ContextStats::cached(fn->stats_id.load(std::memory_order_relaxed));
    if (!hit) [[unlikely]] return call_slowly(fn, args, ret);
    jiffi_invoker code = fn->jit.load(std::memory_order_acquire);
    count_call(code ? hit->shard->jit : hit->shard->libffi);
    call_through(fn, code, args, ret);
}

// Reports on stderr why jiffi_function_call made no call: a NULL or dead fn, or NULL args.
[[gnu::noinline, gnu::cold]] void refuse_call(const jiffi_function* handle, jiffi_function* fn) {
    if (!handle)
        std::fprintf(stderr, "jiffi: jiffi_function_call: argument 'fn' is NULL; no call made\n");
    else if (!fn)
        report_bad_handle("jiffi_function_call", "function", handle, HandlePool<jiffi_function>::state(handle));
    else
        std::fprintf(stderr,
                     "jiffi: jiffi_function_call: argument 'args' is NULL for '%s', which takes arguments; "
                     "no call made\n",
                     fn->sig->sig.text.c_str());
}

}  // namespace

void jiffi::detail::call_function(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    call_counted(fn, args, ret);
}

void jiffi::detail::mark_functions_for_crash_reports() {
    HandlePool<jiffi_function>::instance().for_each_live(
        [](jiffi_function* fn) { fn->stats_id.fetch_or(kCrashMarkBit, std::memory_order_relaxed); });
}

extern "C" {

const char* jiffi_error_message(const jiffi_error* err) { return err ? err->message.c_str() : ""; }

int jiffi_error_code(const jiffi_error* err) { return err ? err->code : 0; }

void jiffi_error_dispose(jiffi_error* err) {
    if (err != &oom_error) delete err;
}

const char* jiffi_error_code_name(int code) { return error_code_text(code); }

jiffi_error* jiffi_context_create(jiffi_backend backend, jiffi_context** out) {
    return guarded([&] {
        require(out, "jiffi_context_create", "out");
        *out = nullptr;
        // The integer the caller passed, read as such: a value outside the enum is never
        // loaded as a jiffi_backend.
        std::underlying_type_t<jiffi_backend> raw;
        static_assert(sizeof raw == sizeof backend);
        std::memcpy(&raw, &backend, sizeof raw);
        switch (raw) {
        // A JIT context loads the JIT plugin at its first bind or callback, not here.
        case JIFFI_BACKEND_AUTO:
        case JIFFI_BACKEND_LIBFFI:
        case JIFFI_BACKEND_JIT: break;
        default:
            fail(ErrorCode::INVALID_ARGUMENT,
                 "jiffi_context_create: unknown backend " + std::to_string(static_cast<int>(raw)) +
                     " (expected JIFFI_BACKEND_AUTO, _JIT or _LIBFFI)");
        }
        static std::once_flag crash_from_env;
        std::call_once(crash_from_env, [] { crash_install_from_env(); });
        HandlePool<jiffi_context>& pool = HandlePool<jiffi_context>::instance();
        jiffi_context* ctx = pool.make(static_cast<jiffi_backend>(raw));
        *out = as_handle<jiffi_context>(pool.publish(ctx));
    });
}

void jiffi_context_destroy(jiffi_context* ctx) {
    // The context itself goes once its functions, libraries and callbacks are gone too.
    if (ctx && !HandlePool<jiffi_context>::instance().destroy(ctx))
        report_bad_handle("jiffi_context_destroy", "context", ctx, HandlePool<jiffi_context>::state(ctx));
}

jiffi_backend jiffi_context_backend(const jiffi_context* ctx) {
    const jiffi_context* c = check_live(ctx, "jiffi_context_backend");
    return c ? c->backend : JIFFI_BACKEND_AUTO;
}

jiffi_error* jiffi_jit_set_cache_dir(const char* dir) {
    return guarded([&] { set_jit_cache_dir(dir ? dir : ""); });
}

jiffi_error* jiffi_cdef(jiffi_context* ctx, const char* declarations) {
    return guarded([&] {
        ctx = require_live(ctx, "jiffi_cdef", "ctx");
        require(declarations, "jiffi_cdef", "declarations");
        ctx->cdef(declarations);
    });
}

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
        const CallSignature& s = sig->sig;
        if (index < -1 || (index >= 0 && static_cast<size_t>(index) >= s.args.size()))
            fail(ErrorCode::INVALID_ARGUMENT,
                 "jiffi_signature_type_info: index " + std::to_string(index) +
                     " out of range for '" + s.text + "' with " +
                     std::to_string(s.args.size()) + " arguments");
        const Type* t = index < 0 ? s.ret : s.args[static_cast<size_t>(index)];
        const TypeTable& types = sig->ctx->types;
        info->value_class = static_cast<jiffi_value_class>(value_class(types, t));
        info->size = t->is_void() ? 0 : types.size_of(t);
        info->align = t->is_void() ? 1 : types.align_of(t);
        info->is_char_pointer =
            t->is_pointer() && t->inner->kind == TypeKind::Prim &&
            (t->inner->prim == Prim::Char || t->inner->prim == Prim::SChar ||
             t->inner->prim == Prim::UChar);
    });
}

jiffi_error* jiffi_library_open(jiffi_context* ctx, const char* name, jiffi_library** out) {
    return guarded([&] {
        require(out, "jiffi_library_open", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_library_open", "ctx");
        std::shared_ptr<LoadedLibrary> loaded = open_library(name, ctx->search_paths());
        HandlePool<jiffi_library>& pool = HandlePool<jiffi_library>::instance();
        *out = as_handle<jiffi_library>(pool.publish(pool.make(ctx, std::move(loaded))));
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

jiffi_error* jiffi_context_set_search_paths(jiffi_context* ctx, const char* paths) {
    return guarded([&] {
        ctx = require_live(ctx, "jiffi_context_set_search_paths", "ctx");
        std::vector<std::string> list;
        std::string all = paths ? paths : "";
        size_t start = 0;
        while (start <= all.size()) {
            size_t end = all.find(':', start);
            if (end == std::string::npos) end = all.size();
            if (end > start) list.push_back(all.substr(start, end - start));
            start = end + 1;
        }
        ctx->set_search_paths(std::move(list));
    });
}

jiffi_error* jiffi_function_create(jiffi_context* ctx, void* address, const jiffi_signature* sig,
                                  jiffi_function** out) {
    return guarded([&] {
        require(out, "jiffi_function_create", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_function_create", "ctx");
        require(address, "jiffi_function_create", "address");
        require(sig, "jiffi_function_create", "sig");
        char where[64];
        std::snprintf(where, sizeof(where), "the function at %p", address);
        *out = new_function(ctx, address, sig, where);
    });
}

jiffi_error* jiffi_function_bind(jiffi_library* lib, const char* symbol,
                                const jiffi_signature* sig, jiffi_function** out) {
    return guarded([&] {
        require(out, "jiffi_function_bind", "out");
        *out = nullptr;
        lib = require_live(lib, "jiffi_function_bind", "lib");
        require(symbol, "jiffi_function_bind", "symbol");
        require(sig, "jiffi_function_bind", "sig");
        // A prototype declared with __asm__("name") (glibc renames fscanf so) binds the
        // symbol it names when bound by its C name.
        const std::string& renamed = sig->sig.symbol;
        bool use_label = !renamed.empty() && sig->sig.name == symbol;
        void* address = lib->lib->symbol(use_label ? renamed : std::string(symbol));
        *out = new_function(lib->ctx, address, sig, "'" + std::string(symbol) + "'", lib,
                            use_label ? renamed.c_str() : symbol);
    });
}

void jiffi_function_call(jiffi_function* handle, const jiffi_slot* args, void* ret) {
    // A NULL or dead function, or missing arguments, is reported on stderr and no call made.
    jiffi_function* fn = HandlePool<jiffi_function>::resolve(handle);
    if (!fn || (!args && fn->takes_args)) [[unlikely]] return refuse_call(handle, fn);
    call_counted(fn, args, ret);
}

jiffi_invoker jiffi_function_invoker(jiffi_function* fn) {
    fn = check_live(fn, "jiffi_function_invoker");
    if (!fn) return nullptr;
    jiffi_invoker code = fn->jit.load(std::memory_order_acquire);
    return code ? code : fn->ffi->invoker();
}

int jiffi_function_wait_jit(jiffi_function* fn, long timeout_ms) {
    fn = check_live(fn, "jiffi_function_wait_jit");
    if (!fn) return 0;
    if (fn->jit.load(std::memory_order_acquire)) return 1;
    if (!fn->tier) return 0;
    TierCompiler::instance().wait(*fn->tier, timeout_ms);
    return fn->jit.load(std::memory_order_acquire) ? 1 : 0;
}

jiffi_error* jiffi_context_stats(const jiffi_context* ctx, jiffi_stats* out) {
    return guarded([&] {
        require(out, "jiffi_context_stats", "out");
        ctx = require_live(ctx, "jiffi_context_stats", "ctx");
        *out = ctx->stats->snapshot();
    });
}

size_t jiffi_context_declined_reason(const jiffi_context* ctx, size_t index, char* buf,
                                     size_t len, uint64_t* count) {
    ctx = check_live(ctx, "jiffi_context_declined_reason");
    if (!ctx) return 0;
    try {
        std::string text;
        uint64_t n = 0;
        if (!ctx->stats->reason(index, text, n)) return 0;
        if (count) *count = n;
        if (buf && len > 0) {
            size_t k = text.size() < len - 1 ? text.size() : len - 1;
            std::memcpy(buf, text.data(), k);
            buf[k] = 0;
        }
        return text.size() + 1;
    } catch (...) {
        return 0;
    }
}

void* jiffi_function_address(jiffi_function* fn) {
    fn = check_live(fn, "jiffi_function_address");
    return fn ? fn->address : nullptr;
}

const jiffi_signature* jiffi_function_signature(const jiffi_function* fn) {
    fn = check_live(fn, "jiffi_function_signature");
    return fn ? fn->sig : nullptr;
}

void jiffi_function_destroy(jiffi_function* fn) {
    // Batches holding the function keep it alive until they are destroyed.
    if (fn && !HandlePool<jiffi_function>::instance().destroy(fn))
        report_bad_handle("jiffi_function_destroy", "function", fn, HandlePool<jiffi_function>::state(fn));
}

jiffi_error* jiffi_function_call_errno(jiffi_function* fn, const jiffi_slot* args, void* ret, int* errno_out) {
    return guarded([&] {
        fn = require_live(fn, "jiffi_function_call_errno", "fn");
        require(errno_out, "jiffi_function_call_errno", "errno_out");
        if (!args && !fn->sig->sig.args.empty())
            fail(ErrorCode::INVALID_ARGUMENT, "jiffi_function_call_errno: argument 'args' is NULL for '" +
                                                  fn->sig->sig.text + "', which takes arguments");
        ReturnStorage storage(ret, fn->ret_size);
        ret = storage.get();
        // A function that calls through a stub calls through its errno twin; errno is read
        // inside the stub (or right after ffi_call), before any of jiffi's own work.
        ErrnoInvoker code = fn->jit.load(std::memory_order_acquire) ? fn->sig->errno_stub() : nullptr;
        std::optional<CrashMark> mark;
        if (crash_reports_on()) mark.emplace(fn);
        if (code) {
            fn->stats->count(true);
            code(fn->address, args, ret, errno_out);
        } else {
            fn->stats->count(false);
            const FfiCall* ffi = fn->ffi ? fn->ffi : &fn->sig->ffi();
            ffi->call(fn->address, args, ret, errno_out);
        }
    });
}

jiffi_error* jiffi_signature_invoker(const jiffi_signature* sig, jiffi_invoker* out) {
    return guarded([&] {
        require(out, "jiffi_signature_invoker", "out");
        *out = nullptr;
        require(sig, "jiffi_signature_invoker", "sig");
        if (sig->sig.variadic_prototype)
            fail(ErrorCode::VARIADIC, "signature '" + sig->sig.text +
                                          "' is a variadic prototype: make a call-site signature with "
                                          "jiffi_signature_vararg for an invoker");
        const jiffi_context* ctx = sig->ctx;
        if (ctx->uses_jit()) {
            if ((*out = sig->jit_invoker())) return;
            if (ctx->backend == JIFFI_BACKEND_JIT) sig->jit().acquire();  // throws why
        }
        *out = sig->ffi().invoker();
    });
}

jiffi_error* jiffi_batch_create(jiffi_function* const* fns, size_t count, jiffi_batch** out) {
    return guarded([&] {
        require(out, "jiffi_batch_create", "out");
        *out = nullptr;
        *out = make_batch(fns, count);
    });
}

void jiffi_batch_call(jiffi_batch* b, const jiffi_slot* const* args, void* const* rets) {
    if (!b) return (void)std::fprintf(stderr, "jiffi: jiffi_batch_call: argument 'b' is NULL; no call made\n");
    b = check_live(b, "jiffi_batch_call");
    if (!b) return;
    if (!args) return (void)std::fprintf(stderr, "jiffi: jiffi_batch_call: argument 'args' is NULL; no call made\n");
    call_batch(b, args, rets);
}

int jiffi_batch_is_compiled(const jiffi_batch* b) {
    b = check_live(b, "jiffi_batch_is_compiled");
    return b && b->compiled ? 1 : 0;
}

void jiffi_batch_destroy(jiffi_batch* b) {
    if (b && !HandlePool<jiffi_batch>::instance().destroy(b))
        report_bad_handle("jiffi_batch_destroy", "batch", b, HandlePool<jiffi_batch>::state(b));
}

jiffi_error* jiffi_callback_create(jiffi_context* ctx, const jiffi_signature* sig,
                                  jiffi_handler handler, void* user_data, jiffi_callback** out) {
    return guarded([&] {
        require(out, "jiffi_callback_create", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_callback_create", "ctx");
        require(sig, "jiffi_callback_create", "sig");
        require(reinterpret_cast<const void*>(handler), "jiffi_callback_create", "handler");
        *out = make_callback(ctx, sig, handler, user_data);
    });
}

jiffi_error* jiffi_callback_create_ex(jiffi_context* ctx, const jiffi_signature* sig, jiffi_handler handler,
                                     void* user_data, void (*dispose)(void*), jiffi_callback** out) {
    return guarded([&] {
        require(out, "jiffi_callback_create_ex", "out");
        *out = nullptr;
        ctx = require_live(ctx, "jiffi_callback_create_ex", "ctx");
        require(sig, "jiffi_callback_create_ex", "sig");
        require(reinterpret_cast<const void*>(handler), "jiffi_callback_create_ex", "handler");
        *out = make_callback(ctx, sig, handler, user_data, dispose);
    });
}

void* jiffi_callback_code(jiffi_callback* cb) { return callback_code(cb); }

void jiffi_callback_release(jiffi_callback* cb) { release_callback(cb); }

void jiffi_callback_table_stats(size_t* capacity, size_t* live, size_t* quarantined) {
    SlotTableStats s;
    if (SlotTable::supported()) s = SlotTable::instance().stats();
    if (capacity) *capacity = s.capacity;
    if (live) *live = s.live;
    if (quarantined) *quarantined = s.quarantined;
}

}  // extern "C"
