// AUTO tiering: counters, fallback log, and the compiler thread that switches functions to stubs.
#include "runtime/tiering.hpp"

#include "base/messages.hpp"
#include "base/secure_io.hpp"
#include "jit/jit_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>

namespace jiffi::detail {

namespace {

// How long the compiler thread lingers with an empty queue before it stops.
constexpr auto kIdleStop = std::chrono::seconds(1);
// How long the thread lets a burst of bindings gather before compiling them as one batch.
constexpr auto kGather = std::chrono::microseconds(200);
// How long the first batch of a process waits before it loads the JIT plugin (and with it
// libLLVM, about 17 ms of loading): a short-lived program that exits meanwhile is served by
// libffi alone and never pays for LLVM, where exit would otherwise wait for the load.
constexpr auto kFirstLoadDelay = std::chrono::milliseconds(25);

}  // namespace

bool log_fallbacks() {
    static const bool on = env_lists("JIFFI_LOG", "fallback");
    return on;
}

void ContextStats::declined(const std::string& reason) {
    jit_declined.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [text, n] : reasons_)
        if (text == reason) {
            ++n;
            return;
        }
    reasons_.emplace_back(reason, 1);
}

void ContextStats::fallback(const std::string& signature, const std::string& reason) {
    libffi_fallbacks.fetch_add(1, std::memory_order_relaxed);
    if (log_fallbacks())
        std::fprintf(stderr, "jiffi: signature '%s' served by libffi: %s\n", signature.c_str(),
                     reason.c_str());
}

__thread ShardCacheEntry tls_shard_cache[kShardCacheSize] __attribute__((tls_model("initial-exec")));

namespace {

std::atomic<uint64_t> next_context_id{1};

// Set once the thread's shard owner has been destroyed (the thread is exiting).
__thread bool tls_shards_gone __attribute__((tls_model("initial-exec")));

// The shards a thread made, folded into their contexts' totals when the thread exits.
struct ThreadShards {
    std::vector<std::pair<std::weak_ptr<ContextStats>, CallShard*>> held;
    ~ThreadShards() {
        tls_shards_gone = true;
        for (ShardCacheEntry& e : tls_shard_cache) e = ShardCacheEntry{};
        for (auto& [stats, shard] : held)
            if (std::shared_ptr<ContextStats> s = stats.lock()) s->retire(shard);
    }
};

// Every live ContextStats, for the fork handlers.
struct StatsRegistry {
    std::mutex mu;
    std::vector<ContextStats*> live;
};

StatsRegistry& stats_registry() {
    // Never destroyed: counters may go in static destructors.
    static StatsRegistry* r = new StatsRegistry();
    return *r;
}

}  // namespace

ContextStats::ContextStats() : id(next_context_id.fetch_add(1, std::memory_order_relaxed)) {
    StatsRegistry& r = stats_registry();
    std::lock_guard<std::mutex> lock(r.mu);
    r.live.push_back(this);
}

ContextStats::~ContextStats() {
    StatsRegistry& r = stats_registry();
    std::lock_guard<std::mutex> lock(r.mu);
    r.live.erase(std::remove(r.live.begin(), r.live.end(), this), r.live.end());
}

void ContextStats::fork_prepare() noexcept {
    StatsRegistry& r = stats_registry();
    r.mu.lock();
    for (ContextStats* s : r.live) s->mu_.lock();
}

void ContextStats::fork_release() noexcept {
    StatsRegistry& r = stats_registry();
    for (ContextStats* s : r.live) s->mu_.unlock();
    r.mu.unlock();
}

CallShard* ContextStats::attach_thread() noexcept {
    CallShard* raw = nullptr;
    try {
        auto shard = std::make_unique<CallShard>();
        raw = shard.get();
        std::lock_guard<std::mutex> lock(mu_);
        shards_.push_back(std::move(shard));
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
    // A thread already past its shard owner (calling from a later TLS destructor), or one
    // without memory to record the shard, leaves it in the context until the context goes.
    if (!tls_shards_gone) {
        try {
            static thread_local ThreadShards owner;
            auto& held = owner.held;
            held.erase(std::remove_if(held.begin(), held.end(), [](const auto& h) { return h.first.expired(); }),
                       held.end());
            held.emplace_back(weak_from_this(), raw);
        } catch (const std::bad_alloc&) {
        }
    }
    tls_shard_cache[id % kShardCacheSize] = ShardCacheEntry{id, raw};
    return raw;
}

void ContextStats::count(bool jit) noexcept {
    const ShardCacheEntry* hit = cached(id);
    CallShard* shard = hit ? hit->shard : attach_thread();
    if (shard) {
        count_call(jit ? shard->jit : shard->libffi);
    } else {
        (jit ? unattached_.jit : unattached_.libffi).fetch_add(1, std::memory_order_relaxed);
    }
}

void ContextStats::retire(CallShard* shard) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(shards_.begin(), shards_.end(), [&](const auto& s) { return s.get() == shard; });
    if (it == shards_.end()) return;
    retired_jit_ += shard->jit.load(std::memory_order_relaxed);
    retired_libffi_ += shard->libffi.load(std::memory_order_relaxed);
    shards_.erase(it);
}

jiffi_stats ContextStats::snapshot() const {
    jiffi_stats s{};
    {
        std::lock_guard<std::mutex> lock(mu_);
        s.calls_jit = retired_jit_ + unattached_.jit.load(std::memory_order_relaxed);
        s.calls_libffi = retired_libffi_ + unattached_.libffi.load(std::memory_order_relaxed);
        for (const auto& c : shards_) {
            s.calls_jit += c->jit.load(std::memory_order_relaxed);
            s.calls_libffi += c->libffi.load(std::memory_order_relaxed);
        }
    }
    s.stubs_compiled = stubs_compiled.load(std::memory_order_relaxed);
    s.functions_tiered_up = functions_tiered_up.load(std::memory_order_relaxed);
    s.jit_declined = jit_declined.load(std::memory_order_relaxed);
    s.libffi_fallbacks = libffi_fallbacks.load(std::memory_order_relaxed);
    return s;
}

bool ContextStats::reason(size_t index, std::string& text, uint64_t& count) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (index >= reasons_.size()) return false;
    text = reasons_[index].first;
    count = reasons_[index].second;
    return true;
}

TierJob::TierJob(const StubSpec& s, std::string t, std::shared_ptr<ContextStats> st)
    : spec(std::make_unique<StubSpec>(s)), text(std::move(t)), stats(std::move(st)) {}

TierJob::TierJob(std::string t, std::shared_ptr<ContextStats> st, std::string why)
    : text(std::move(t)), stats(std::move(st)), phase(TierPhase::Declined), reason(std::move(why)) {}

namespace {

// Stops the compiler thread at exit (registered with atexit more than once; idempotent).
void stop_at_exit() { TierCompiler::instance().stop(); }

}  // namespace

TierCompiler& TierCompiler::instance() {
    // Never destroyed (functions may be destroyed by later static destructors); the thread
    // is stopped and joined at exit, and queued jobs are dropped.
    static TierCompiler* compiler = [] {
        auto* c = new TierCompiler();
        std::atexit(stop_at_exit);
        return c;
    }();
    return *compiler;
}

void TierCompiler::quiesce() {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return stop_ || (!compiling_ && (held_ || !running_ || queue_.empty())); });
}

void TierCompiler::stop() {
    std::unique_lock<std::mutex> lock(mu_);
    stop_ = true;
    for (auto& job : queue_) {
        job->phase = TierPhase::Declined;
        job->reason = messages::kProcessExiting;
        job->waiting.clear();
    }
    queue_.clear();
    work_.notify_all();
    done_.notify_all();
    lock.unlock();
    if (thread_.joinable()) thread_.join();
}

void TierCompiler::start_locked(const std::shared_ptr<TierJob>& job) {
    if (job->phase == TierPhase::Declined)
        job->stats->declined(job->reason);
    else
        enqueue_locked(job);
}

void TierCompiler::enqueue_locked(std::shared_ptr<TierJob> job) {
    if (stop_) {
        job->phase = TierPhase::Declined;
        job->reason = messages::kProcessExiting;
        job->stats->declined(job->reason);
        return;
    }
    job->phase = TierPhase::Queued;
    queue_.push_back(std::move(job));
    if (!running_) {
        // A thread that stopped when idle has released the mutex for good: join it here.
        if (thread_.joinable()) thread_.join();
        running_ = true;
        thread_ = std::thread([this] { run(); });
    }
    work_.notify_one();
}

void TierCompiler::deliver_locked(TierJob& job, TierWaiter waiter, StubRef ready) {
    switch (job.phase) {
    case TierPhase::Ready:
        waiter.target->store(ready.code(), std::memory_order_release);
        if (waiter.ref) *waiter.ref = std::move(ready);
        break;
    case TierPhase::Declined:
        if (waiter.on_libffi) job.stats->fallback(job.text, job.reason);
        break;
    default: job.waiting.push_back(waiter);
    }
}

void TierCompiler::detach(TierJob& job, const std::atomic<jiffi_invoker>* target) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& w = job.waiting;
    w.erase(std::remove_if(w.begin(), w.end(),
                           [target](const TierWaiter& x) { return x.target == target; }),
            w.end());
}

TierPhase TierCompiler::wait(const TierJob& job, long timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    auto settled = [&job] {
        return job.phase == TierPhase::Ready || job.phase == TierPhase::Declined;
    };
    if (timeout_ms < 0)
        done_.wait(lock, settled);
    else
        done_.wait_for(lock, std::chrono::milliseconds(timeout_ms), settled);
    return job.phase;
}

void TierCompiler::hold(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = on;
    work_.notify_all();
}

void TierCompiler::fork_prepare() noexcept {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [this] { return !compiling_; });
    lock.release();  // held until fork_release
}

void TierCompiler::fork_release(bool child) noexcept {
    if (child) {
        // The parent's compiler thread, and any waiter of its condition variables, exist only
        // in the parent: the objects are made anew rather than destroyed (a joinable thread's
        // destructor would terminate the process).
        new (&thread_) std::thread();
        new (&work_) std::condition_variable();
        new (&done_) std::condition_variable();
        running_ = false;
        if (!stop_ && !queue_.empty()) {
            try {
                thread_ = std::thread([this] { run(); });
                running_ = true;
            } catch (const std::system_error&) {
                // No thread now: the next job queued starts one.
            }
        }
    }
    mu_.unlock();
}

bool TierCompiler::running() const {
    std::lock_guard<std::mutex> lock(mu_);
    return running_;
}

void TierCompiler::run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        if (!work_.wait_for(lock, kIdleStop,
                            [this] { return stop_ || (!queue_.empty() && !held_); })) {
            if (!queue_.empty()) continue;  // held: keep waiting
            running_ = false;
            return;
        }
        if (stop_) {
            running_ = false;
            return;
        }
        // Let the rest of a burst of bindings arrive, then take the whole queue as one batch
        // (a process exiting meanwhile stops the wait).
        work_.wait_for(lock, kGather, [this] { return stop_; });
        // The first batch that needs the plugin waits a little longer: a process that exits
        // soon never loads LLVM. One whose stubs are all in the disk cache needs no plugin.
        if (!JitEngine::loaded()) {
            std::vector<const StubSpec*> queued;
            for (const auto& job : queue_) queued.push_back(job->spec.get());
            if (!stubs_on_disk(queued)) work_.wait_for(lock, kFirstLoadDelay, [this] { return stop_; });
        }
        if (stop_) {
            running_ = false;
            return;
        }
        if (held_ || queue_.empty()) continue;
        std::vector<std::shared_ptr<TierJob>> batch(queue_.begin(), queue_.end());
        queue_.clear();
        std::vector<const StubSpec*> specs;
        for (auto& job : batch) {
            job->phase = TierPhase::Compiling;
            specs.push_back(job->spec.get());
        }
        compiling_ = true;
        lock.unlock();
        std::vector<StubRef> refs;
        std::string failure;
        try {
            refs = StubCache::global().acquire_batch(specs);
        } catch (const std::exception& e) {
            failure = std::string("compiling its stub failed: ") + e.what();
        }
        lock.lock();
        for (size_t i = 0; i < batch.size(); ++i) {
            TierJob& job = *batch[i];
            if (failure.empty() && refs[i].ok()) {
                // Each function gets its own reference: the code goes with the last of them.
                job.phase = TierPhase::Ready;
                job.stats->stubs_compiled.fetch_add(1, std::memory_order_relaxed);
                for (const TierWaiter& w : job.waiting) {
                    if (w.ref) *w.ref = refs[i].share();
                    w.target->store(refs[i].code(), std::memory_order_release);
                    if (w.on_libffi)
                        job.stats->functions_tiered_up.fetch_add(1, std::memory_order_relaxed);
                }
            } else {
                job.reason = !failure.empty() ? failure
                             : refs[i].error() ? refs[i].error()->message()
                                               : std::string("the JIT made no stub");
                job.phase = TierPhase::Declined;
                job.stats->declined(job.reason);
                for (const TierWaiter& w : job.waiting)
                    if (w.on_libffi) job.stats->fallback(job.text, job.reason);
            }
            job.waiting.clear();
        }
        done_.notify_all();
        // Exit handlers run in reverse order of registration, and LLVM registers the
        // destructors of statics it makes while compiling: stopping (and joining) must come
        // before those, so it is registered again after batches 1, 2, 4, 8, ...
        ++batches_;
        if ((batches_ & (batches_ - 1)) == 0 && !stop_) std::atexit(stop_at_exit);
        // The batch's references to the jobs go outside the lock: a job may die with its
        // context here, releasing its stub into the cache.
        lock.unlock();
        batch.clear();
        refs.clear();
        lock.lock();
        // Only now is the batch over for quiesce(): the stubs are held by their functions alone.
        compiling_ = false;
        done_.notify_all();
    }
}

}  // namespace jiffi::detail
