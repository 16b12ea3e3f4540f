// The stub cache: one compiled stub per spec key, shared and reference-counted by its users.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_spec.hpp"
#include "base/error.hpp"

namespace jiffi::detail {

class CodeBlock;
class StubCache;
struct StubEntry;

// A counted reference to a cached stub, or the error that kept it from compiling.
class StubRef {
public:
    StubRef() = default;
    StubRef(StubRef&& o) noexcept;
    StubRef& operator=(StubRef&& o) noexcept;
    StubRef(const StubRef&) = delete;
    StubRef& operator=(const StubRef&) = delete;
    ~StubRef();

    // True when the stub compiled; code() is then callable.
    bool ok() const { return code_ != nullptr; }
    // The stub: an invoker calling its function by the spec's plan.
    jiffi_invoker code() const { return code_; }
    // The stub's address, for code of another shape (thunks, batches, errno invokers).
    void* address() const { return reinterpret_cast<void*>(code_); }
    // Why the stub could not be made, or null.
    const Error* error() const { return error_.get(); }
    // Drops the reference now (as the destructor does).
    void reset() noexcept;
    // Another reference to the same stub (an empty one when this holds none).
    StubRef share() const;

private:
    friend class StubCache;
    StubEntry* entry_ = nullptr;
    jiffi_invoker code_ = nullptr;
    std::shared_ptr<const Error> error_;
};

// Stubs by spec key: a spec compiled once however many threads ask at once; its code is
// freed (its module's resource tracker removed) when the last reference to every stub of
// that module is dropped. Thread-safe.
class StubCache {
public:
    StubCache();
    StubCache(const StubCache&) = delete;
    StubCache& operator=(const StubCache&) = delete;
    ~StubCache();

    // The process's cache, used by the runtime.
    static StubCache& global();

    // A reference to spec's stub, compiling it now unless cached; throws the Error
    // (UNSUPPORTED, JIT) that kept it from compiling.
    StubRef acquire(const StubSpec& spec);
    // References to the stubs of specs; the uncached ones are compiled together as one
    // module. A spec that cannot be compiled gets a reference holding its error.
    std::vector<StubRef> acquire_batch(const std::vector<const StubSpec*>& specs);

    // A reference to spec's stub if it is compiled and still referenced; never compiles.
    StubRef find(const StubSpec& spec);

    // The number of stubs in the cache (each with at least one reference).
    size_t size() const;

    // Before fork(): takes the cache's lock.
    void fork_prepare() noexcept;
    // After fork(): releases it; in the child, entries whose compilation another thread had
    // started (it does not exist there) are dropped, so the next acquire compiles them again.
    void fork_release(bool child) noexcept;

private:
    friend class StubRef;
    // Drops one reference to e; the entry's code block is destroyed outside the lock.
    void release(StubEntry* e) noexcept;

    mutable std::mutex mu_;
    std::condition_variable ready_;  // signalled when a compilation finishes
    std::unordered_map<std::string, std::unique_ptr<StubEntry>> entries_;
};

}  // namespace jiffi::detail
