// The stub cache: lookups, batch compilation of the missing stubs, reference counting.
#include "jit/stub_cache.hpp"

#include <new>

#include "jit/jit_engine.hpp"

namespace jiffi::detail {

// One cached stub; erased from the cache when its last reference goes.
struct StubEntry {
    StubCache* cache = nullptr;
    std::string key;
    size_t refs = 0;
    bool ready = false;                   // compilation finished (code or error set)
    jiffi_invoker code = nullptr;
    std::shared_ptr<const Error> error;
    std::shared_ptr<CodeBlock> block;     // the module's code, shared by its stubs
};

StubRef::StubRef(StubRef&& o) noexcept
    : entry_(o.entry_), code_(o.code_), error_(std::move(o.error_)) {
    o.entry_ = nullptr;
    o.code_ = nullptr;
}

StubRef& StubRef::operator=(StubRef&& o) noexcept {
    if (this != &o) {
        reset();
        entry_ = o.entry_;
        code_ = o.code_;
        error_ = std::move(o.error_);
        o.entry_ = nullptr;
        o.code_ = nullptr;
    }
    return *this;
}

StubRef::~StubRef() { reset(); }

void StubRef::reset() noexcept {
    if (entry_) entry_->cache->release(entry_);
    entry_ = nullptr;
    code_ = nullptr;
}

StubRef StubRef::share() const {
    StubRef out;
    if (!entry_) return out;
    {
        std::lock_guard<std::mutex> lock(entry_->cache->mu_);
        entry_->refs += 1;
    }
    out.entry_ = entry_;
    out.code_ = code_;
    return out;
}

StubCache::StubCache() = default;

StubCache::~StubCache() {
    // References outliving their cache are a bug of the owner; their entries are freed here.
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
}

StubCache& StubCache::global() {
    // Never destroyed: functions destroyed by static destructors still release into it.
    static StubCache* cache = new StubCache();
    return *cache;
}

StubRef StubCache::acquire(const StubSpec& spec) {
    std::vector<StubRef> refs = acquire_batch({&spec});
    if (!refs[0].ok()) throw *refs[0].error();
    return std::move(refs[0]);
}

std::vector<StubRef> StubCache::acquire_batch(const std::vector<const StubSpec*>& specs) {
    std::vector<StubEntry*> entries(specs.size());
    std::vector<const StubSpec*> todo;
    std::vector<StubEntry*> todo_entries;
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < specs.size(); ++i) {
            std::string key = specs[i]->key();
            auto it = entries_.find(key);
            if (it == entries_.end()) {
                auto e = std::make_unique<StubEntry>();
                e->cache = this;
                e->key = key;
                todo.push_back(specs[i]);
                todo_entries.push_back(e.get());
                it = entries_.emplace(std::move(key), std::move(e)).first;
            }
            it->second->refs += 1;
            entries[i] = it->second.get();
        }
    }
    if (!todo.empty()) {
        // Compiled outside the lock; other threads wanting these stubs wait for ready_.
        CompiledBatch batch;
        std::shared_ptr<const Error> failure;
        try {
            batch = compile_stubs(todo);
        } catch (const Error& e) {
            failure = std::make_shared<const Error>(e);
        } catch (const std::bad_alloc&) {
            failure = std::make_shared<const Error>(ErrorCode::OUT_OF_MEMORY, "out of memory compiling stubs");
        } catch (const std::exception& e) {
            failure = std::make_shared<const Error>(ErrorCode::INTERNAL,
                                                    std::string("compiling stubs: ") + e.what());
        }
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < todo_entries.size(); ++i) {
            StubEntry* e = todo_entries[i];
            if (failure) {
                e->error = failure;
            } else {
                e->code = batch.code[i];
                e->error = batch.errors[i];
                if (e->code) e->block = batch.blocks[i];
            }
            e->ready = true;
        }
        ready_.notify_all();
    }
    std::vector<StubRef> out(specs.size());
    std::vector<StubEntry*> failed;
    {
        std::unique_lock<std::mutex> lock(mu_);
        for (size_t i = 0; i < specs.size(); ++i) {
            StubEntry* e = entries[i];
            ready_.wait(lock, [e] { return e->ready; });
            if (e->code) {
                out[i].entry_ = e;
                out[i].code_ = e->code;
            } else {
                out[i].error_ = e->error;
                failed.push_back(e);
            }
        }
    }
    for (StubEntry* e : failed) release(e);
    return out;
}

void StubCache::release(StubEntry* e) noexcept {
    std::shared_ptr<CodeBlock> block;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (--e->refs > 0) return;
        block = std::move(e->block);
        entries_.erase(e->key);
    }
    // The block (and with it the module's code) goes here if no other stub shares it.
}

StubRef StubCache::find(const StubSpec& spec) {
    StubRef out;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(spec.key());
    if (it == entries_.end() || !it->second->ready || !it->second->code) return out;
    it->second->refs += 1;
    out.entry_ = it->second.get();
    out.code_ = it->second->code;
    return out;
}

size_t StubCache::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
}

void StubCache::fork_prepare() noexcept { mu_.lock(); }

void StubCache::fork_release(bool child) noexcept {
    if (child) {
        for (auto it = entries_.begin(); it != entries_.end();) {
            if (it->second->ready) ++it;
            else it = entries_.erase(it);
        }
        new (&ready_) std::condition_variable();  // its waiters were the parent's other threads
    }
    mu_.unlock();
}

}  // namespace jiffi::detail
