// AUTO tiering: per-context counters, per-signature compile jobs and the background compiler.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_cache.hpp"
#include "jit/stub_spec.hpp"

namespace jiffi::detail {

// The calls one thread made through one context, by backend. Only that thread writes them
// (a plain load and store of a relaxed atomic: no locked instruction on the call path);
// snapshots read them from any thread.
struct CallShard {
    std::atomic<uint64_t> jit{0};
    std::atomic<uint64_t> libffi{0};
};

// Adds one to a counter of the calling thread's own shard.
inline void count_call(std::atomic<uint64_t>& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// A thread's most recent shards, by context id modulo the cache size: the call path finds
// its shard with one compare. Trivial and in initial-exec TLS, so reading it costs no call.
struct ShardCacheEntry {
    uint64_t context_id;
    CallShard* shard;
};
constexpr size_t kShardCacheSize = 4;
extern __thread ShardCacheEntry tls_shard_cache[kShardCacheSize] __attribute__((tls_model("initial-exec")));

// The counters of one context; shared with the compile jobs, which may outlive it.
class ContextStats : public std::enable_shared_from_this<ContextStats> {
public:
    ContextStats();
    ~ContextStats();
    ContextStats(const ContextStats&) = delete;
    ContextStats& operator=(const ContextStats&) = delete;

    const uint64_t id;  // unique in the process, never reused: the key of the shard caches

    std::atomic<uint64_t> stubs_compiled{0};       // stubs made ready for the context's signatures
    std::atomic<uint64_t> functions_tiered_up{0};  // functions switched from libffi to a stub
    std::atomic<uint64_t> jit_declined{0};         // signatures the JIT declined
    std::atomic<uint64_t> libffi_fallbacks{0};     // functions left on libffi by a decline

    // Counts a signature the JIT declined, keeping reason with the number of its occurrences.
    void declined(const std::string& reason);
    // Counts a function served by libffi because the JIT declined its signature (and logs it).
    void fallback(const std::string& signature, const std::string& reason);

    // The calling thread's shard of the counters of the context with id when its cache holds
    // it (a hit always has a shard).
    static const ShardCacheEntry* cached(uint64_t id) noexcept {
        const ShardCacheEntry& e = tls_shard_cache[id % kShardCacheSize];
        return e.context_id == id ? &e : nullptr;
    }
    // Makes the calling thread a shard (kept until the thread exits, then folded into the
    // totals) and puts it in the thread's cache; null when out of memory.
    CallShard* attach_thread() noexcept;
    // Counts one call served by the JIT (jit) or libffi in the calling thread's shard, made
    // when missing; a thread without one (out of memory) counts in a shared, locked counter.
    void count(bool jit) noexcept;
    // Folds a departing thread's shard into the totals and frees it.
    void retire(CallShard* shard);

    // All the counters at once.
    jiffi_stats snapshot() const;
    // The index-th distinct decline reason and its count, in first-seen order; false past the end.
    bool reason(size_t index, std::string& text, uint64_t& count) const;

    // Takes the locks of every live ContextStats before fork() (runtime/fork.cpp's order).
    static void fork_prepare() noexcept;
    // Releases them after fork(), in the parent and in the child alike.
    static void fork_release() noexcept;

private:
    mutable std::mutex mu_;  // guards shards_, retired_* and reasons_
    std::vector<std::unique_ptr<CallShard>> shards_;
    CallShard unattached_;  // calls of threads that got no shard, counted by fetch_add
    uint64_t retired_jit_ = 0;
    uint64_t retired_libffi_ = 0;
    std::vector<std::pair<std::string, uint64_t>> reasons_;
};

// True when JIFFI_LOG asks for fallback lines ("fallback" or "all" in its comma list).
bool log_fallbacks();

// Where a signature's stub is on its way to AUTO functions.
enum class TierPhase { Queued, Compiling, Ready, Declined };

// A function waiting for a job's stub: the atomic it calls through, and whether it is
// served by libffi meanwhile (a switch that counts as a tier-up) or bound synchronously.
struct TierWaiter {
    std::atomic<jiffi_invoker>* target = nullptr;
    bool on_libffi = true;
    StubRef* ref = nullptr;  // receives the function's reference to the stub (its code lives
                             // while some function of the signature holds one)
};

// The compilation of one signature's stub for AUTO functions: held by the signature and by
// the compiler's queue, so that neither a destroyed function nor a destroyed context is
// ever touched by the compiler thread.
struct TierJob {
    // A job to compile spec (a copy: the signature may go first).
    TierJob(const StubSpec& spec, std::string text, std::shared_ptr<ContextStats> stats);
    // A job declined before compiling, for reason.
    TierJob(std::string text, std::shared_ptr<ContextStats> stats, std::string reason);

    const std::unique_ptr<StubSpec> spec;  // null when declined up front
    const std::string text;                // the signature in C syntax, for logs
    const std::shared_ptr<ContextStats> stats;

    // Guarded by the TierCompiler's mutex.
    TierPhase phase = TierPhase::Queued;
    std::vector<TierWaiter> waiting;  // functions subscribed until the stub is ready
    std::string reason;               // why the JIT declined
};

// The process's background compiler: one thread, started on demand and stopped when idle
// or at exit, compiling every queued job of a round as one batch.
class TierCompiler {
public:
    // The compiler (its thread is started by the first job).
    static TierCompiler& instance();
    TierCompiler(const TierCompiler&) = delete;
    TierCompiler& operator=(const TierCompiler&) = delete;

    // Ties waiter to the stub of the signature whose job pointer is slot: creates the job with
    // make() on first use (counting a decline, or queueing it), stores the stub into the
    // waiter at once when ready, else subscribes it; returns the job's phase. slot is
    // guarded by the compiler's mutex.
    template <class Make>
    TierPhase attach(std::shared_ptr<TierJob>& slot, Make&& make, TierWaiter waiter);

    // Unsubscribes target from job (a no-op when the stub was already delivered).
    void detach(TierJob& job, const std::atomic<jiffi_invoker>* target);
    // Waits until job is ready or declined, at most timeout_ms (forever when negative);
    // returns the phase then.
    TierPhase wait(const TierJob& job, long timeout_ms);

    // True while the compiler thread runs (it stops after an idle second).
    bool running() const;
    // Stops the thread for good (at exit), dropping queued jobs; later jobs are declined.
    void stop();
    // Waits until no batch is compiling and (unless held) nothing is queued, so that a
    // program destroying its last context and exiting never exits mid-compile.
    void quiesce();
    // While held, queued jobs wait (for tests that need functions to stay on libffi).
    void hold(bool on);

    // Before fork(): takes the compiler's lock once no batch is compiling, so that the child
    // never inherits jobs stuck in the Compiling phase.
    void fork_prepare() noexcept;
    // After fork(): releases the lock; in the child, where the thread does not exist, marks
    // it stopped and starts a new one if jobs are queued (later jobs start one on demand).
    void fork_release(bool child) noexcept;

private:
    TierCompiler() = default;
    // Queues job and starts the thread if it is not running (declines it once stopped);
    // mu_ is held.
    void enqueue_locked(std::shared_ptr<TierJob> job);
    // Handles the first attach of a job: counts a decline or queues it; mu_ is held.
    void start_locked(const std::shared_ptr<TierJob>& job);
    // Delivers job's phase to waiter: stores the stub (ready, a reference to it), counts a
    // fallback, or subscribes.
    void deliver_locked(TierJob& job, TierWaiter waiter, StubRef ready);
    // The thread's loop: takes every queued job, compiles them as one batch, delivers.
    void run();

    mutable std::mutex mu_;
    std::condition_variable work_;  // signalled when a job is queued or stop_ is set
    std::condition_variable done_;  // signalled when a batch is delivered
    std::deque<std::shared_ptr<TierJob>> queue_;
    std::thread thread_;
    bool running_ = false;
    bool stop_ = false;
    bool held_ = false;
    bool compiling_ = false;  // a batch is being compiled outside the lock
    uint64_t batches_ = 0;  // batches compiled
};

template <class Make>
TierPhase TierCompiler::attach(std::shared_ptr<TierJob>& slot, Make&& make, TierWaiter waiter) {
    std::lock_guard<std::mutex> lock(mu_);
    StubRef ready;
    if (!slot) {
        slot = make();
        start_locked(slot);
    } else if (slot->phase == TierPhase::Ready && !(ready = StubCache::global().find(*slot->spec)).ok()) {
        // Every function holding the stub went, and its code with them: compile it again.
        enqueue_locked(slot);
    }
    deliver_locked(*slot, waiter, std::move(ready));
    return slot->phase;
}

}  // namespace jiffi::detail
