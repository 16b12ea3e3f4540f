// fork() support: one pthread_atfork registration taking every jiffi lock in a fixed order.
#include "runtime/fork.hpp"

#include <pthread.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "base/secure_io.hpp"
#include "callbacks/slot_table.hpp"
#include "callbacks/thunks.hpp"
#include "jit/jit_engine.hpp"
#include "jit/stub_cache.hpp"
#include "runtime/callbacks.hpp"
#include "runtime/batch.hpp"
#include "runtime/context.hpp"
#include "runtime/function.hpp"
#include "runtime/ffi_backend.hpp"
#include "runtime/handles.hpp"
#include "runtime/library.hpp"
#include "runtime/tiering.hpp"

namespace jiffi::detail {

namespace {

// The live contexts, whose own locks the handlers take.
struct Contexts {
    std::mutex mu;
    std::vector<jiffi_context*> live;
};

Contexts& contexts() {
    // Never destroyed: contexts may be destroyed by static destructors.
    static Contexts* c = new Contexts();
    return *c;
}

// The lock order, outermost first, follows how code nests them (a lock a thread may hold
// while it takes another comes first), so prepare() never waits for a thread waiting for it:
//   dl lock > layout materialization, discoverer loading > live contexts (each one's lock) >
//   tier compiler (once no batch compiles) > libffi callback quarantine > trampoline table >
//   thunk registry > stub cache > JIT engine (its creation, then its compiles) > callback
//   thread registry > each context's type table > context counters > leaves (libffi closure
//   allocator, C API handle pools, callback handle table, ld.so.cache memo, layout memo, log). The layout discovery client's locks exist
//   when it is built (JIFFI_DISCOVER_INSTALL_DIR is defined then).
// std::call_once flags need nothing: they are glibc pthread_once controls, which restart in
// the child an initialization that a thread missing there had begun.

// Takes (prepare) or releases the C API handle pools' locks and the callback handle table's.
void handles_fork(bool prepare) noexcept {
    auto each = [prepare](auto& pool) { prepare ? pool.fork_prepare() : pool.fork_release(); };
    each(HandlePool<jiffi_context>::instance());
    each(HandlePool<jiffi_library>::instance());
    each(HandlePool<jiffi_function>::instance());
    each(HandlePool<jiffi_batch>::instance());
    prepare ? callback_handles_fork_prepare() : callback_handles_fork_release();
}

// Takes every lock before fork(); a batch compiling in the background is finished first.
void prepare() noexcept {
    library_fork_prepare();
#ifdef JIFFI_DISCOVER_INSTALL_DIR
    discover_fork_prepare_outer();
#endif
    Contexts& c = contexts();
    c.mu.lock();
    for (jiffi_context* ctx : c.live) ctx->fork_mutex().lock();
    TierCompiler::instance().fork_prepare();
    ffi_callbacks_fork_prepare();
    if (SlotTable::supported()) SlotTable::instance().fork_prepare();
    if (SlotTable::supported()) SlotTable::plain().fork_prepare();
    thunks_fork_prepare();
    StubCache::global().fork_prepare();
    JitEngine::fork_prepare();
    threads_fork_prepare();
    for (jiffi_context* ctx : c.live) ctx->types.fork_mutex().lock();
    ContextStats::fork_prepare();
    closures_fork_prepare();
    handles_fork(true);
    library_fork_prepare_leaf();
#ifdef JIFFI_DISCOVER_INSTALL_DIR
    discover_fork_prepare_leaf();
#endif
    log_fork_prepare();
}

// Releases what prepare() took, innermost first; in the child each module also drops the
// state of the threads fork() did not copy.
void release(bool child) noexcept {
    log_fork_release();
#ifdef JIFFI_DISCOVER_INSTALL_DIR
    discover_fork_release_leaf();
#endif
    library_fork_release_leaf();
    handles_fork(false);
    closures_fork_release();
    ContextStats::fork_release();
    Contexts& c = contexts();
    for (jiffi_context* ctx : c.live) ctx->types.fork_mutex().unlock();
    threads_fork_release(child);
    JitEngine::fork_release();
    StubCache::global().fork_release(child);
    thunks_fork_release();
    if (SlotTable::supported()) SlotTable::plain().fork_release();
    if (SlotTable::supported()) SlotTable::instance().fork_release();
    ffi_callbacks_fork_release();
    TierCompiler::instance().fork_release(child);
    for (jiffi_context* ctx : c.live) ctx->fork_mutex().unlock();
    c.mu.unlock();
#ifdef JIFFI_DISCOVER_INSTALL_DIR
    discover_fork_release_outer();
#endif
    library_fork_release(child);
}

void release_in_parent() noexcept { release(false); }
void release_in_child() noexcept { release(true); }

}  // namespace

void install_fork_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Made now, so that prepare() never constructs them while fork() is under way.
        contexts();
        TierCompiler::instance();
        StubCache::global();
        if (SlotTable::supported()) SlotTable::instance();
        if (pthread_atfork(&prepare, &release_in_parent, &release_in_child) != 0)
            log_once("fork", "cannot register the fork handlers: a child forked later may find jiffi locks held");
    });
}

void fork_track_context(jiffi_context* ctx) {
    install_fork_handlers();
    Contexts& c = contexts();
    std::lock_guard<std::mutex> lock(c.mu);
    c.live.push_back(ctx);
}

void fork_untrack_context(jiffi_context* ctx) {
    Contexts& c = contexts();
    std::lock_guard<std::mutex> lock(c.mu);
    c.live.erase(std::remove(c.live.begin(), c.live.end(), ctx), c.live.end());
}

}  // namespace jiffi::detail
