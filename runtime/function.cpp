// Functions: making them for their context's backend (AUTO subscribes them to their stub),
// the call paths of jiffi_function_call, invokers, errno-capturing calls.
#include "runtime/function.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <optional>

#include "base/error.hpp"
#include "base/messages.hpp"
#include "runtime/handles.hpp"

using namespace jiffi::detail;

jiffi_function::jiffi_function(jiffi_context* c, const jiffi_signature* s, void* a)
    : ctx_ref(c), ctx(c), sig(s), address(a), stats(c->stats.get()), stats_id(c->stats->id) {
    const Type* r = sig->sig.ret;
    ret_size = r->is_void() ? 0 : ctx->types.size_of(r);
    takes_args = !sig->sig.args.empty();
}

jiffi_function::~jiffi_function() {
    if (tier) TierCompiler::instance().detach(*tier, &jit);
}

namespace {

void attach_tier(jiffi_function& fn);

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

// Counts a call through the thread's shard cache (by the context's id without the crash
// mark) or, when the shard is not cached, on the slow path that makes it; then makes it.
void count_and_call(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    jiffi_invoker code = fn->jit.load(std::memory_order_acquire);
    const ShardCacheEntry* hit = ContextStats::cached(fn->stats_id.load(std::memory_order_relaxed) & ~kCrashMarkBit);
    if (hit) count_call(code ? hit->shard->jit : hit->shard->libffi);
    else fn->stats->count(code != nullptr);
    call_through(fn, code, args, ret);
}

}  // namespace

jiffi_function* jiffi::detail::new_function(jiffi_context* ctx, void* address, const jiffi_signature* sig,
                                           const std::string& what, const jiffi_library* lib,
                                           const char* symbol) {
    if (sig->ctx != ctx)
        fail(ErrorCode::INVALID_ARGUMENT,
             "signature '" + sig->sig.text + "' belongs to another context");
    if (sig->sig.variadic_prototype)
        fail(ErrorCode::VARIADIC, messages::variadic_prototype(sig->sig.text, what));
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

// Calls a stub with scratch return storage: stubs store their result unconditionally.
void jiffi::detail::call_discarding(jiffi_function* fn, jiffi_invoker code, const jiffi_slot* args) {
    ReturnStorage ret(nullptr, fn->ret_size);
    code(fn->address, args, ret.get());
}

// A call whose shard is not in the thread's cache, or of a function marked for crash
// reports: made with the thread's crash mark naming fn while reports are on.
void jiffi::detail::call_slowly(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    if (!crash_reports_on()) return count_and_call(fn, args, ret);
    CrashMark mark(fn);
    count_and_call(fn, args, ret);
}

// Reports on stderr why jiffi_function_call made no call: a NULL or dead fn, or NULL args.
void jiffi::detail::refuse_call(const jiffi_function* handle, jiffi_function* fn) {
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

jiffi_function* jiffi::detail::bind_function(jiffi_library* lib, const char* symbol, const jiffi_signature* sig) {
    // A prototype declared with __asm__("name") (glibc renames fscanf so) binds the symbol it
    // names when bound by its C name.
    const std::string& renamed = sig->sig.symbol;
    bool use_label = !renamed.empty() && sig->sig.name == symbol;
    void* address = lib->lib->symbol(use_label ? renamed : std::string(symbol));
    return new_function(lib->ctx, address, sig, "'" + std::string(symbol) + "'", lib,
                        use_label ? renamed.c_str() : symbol);
}

jiffi_invoker jiffi::detail::function_invoker(jiffi_function* fn) {
    jiffi_invoker code = fn->jit.load(std::memory_order_acquire);
    return code ? code : fn->ffi->invoker();
}

bool jiffi::detail::wait_for_stub(jiffi_function* fn, long timeout_ms) {
    if (fn->jit.load(std::memory_order_acquire)) return true;
    if (!fn->tier) return false;
    TierCompiler::instance().wait(*fn->tier, timeout_ms);
    return fn->jit.load(std::memory_order_acquire) != nullptr;
}

void jiffi::detail::call_with_errno(jiffi_function* fn, const jiffi_slot* args, void* ret, int* errno_out) {
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
}

void jiffi::detail::call_function(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    call_counted(fn, args, ret);
}

void jiffi::detail::mark_functions_for_crash_reports() {
    HandlePool<jiffi_function>::instance().for_each_live(
        [](jiffi_function* fn) { fn->stats_id.fetch_or(kCrashMarkBit, std::memory_order_relaxed); });
}

