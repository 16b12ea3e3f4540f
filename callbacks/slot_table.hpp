// The trampoline table: C-callable code addresses in read+execute pages, each loading its
// own data slot into the static-chain register and jumping to the slot's target.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "callbacks/threads.hpp"
#include "jiffi/jiffi.h"

namespace jiffi::detail {

// A test-and-set lock for the table's short critical sections (a free-list pop or a
// quarantine push): cheaper than a mutex when uncontended, yielding when it spins long.
class SpinLock {
public:
    void lock() noexcept {
        for (int spins = 0; flag_.exchange(true, std::memory_order_acquire); ++spins) {
            while (flag_.load(std::memory_order_relaxed)) {
                if (++spins > 64) std::this_thread::yield();
            }
        }
    }
    void unlock() noexcept { flag_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> flag_{false};
};

// Counters of the table, for tests and statistics.
struct SlotTableStats {
    size_t capacity = 0;     // slots mapped
    size_t live = 0;         // slots handed out and not released
    size_t quarantined = 0;  // released slots not yet reusable
    size_t chunks = 0;       // mapped chunks
};

// The process's table. Grows by chunks with no cap; released slots wait in quarantine until
// at least kMinQuarantine later releases happened and no thread runs their callbacks.
// Thread-safe.
class SlotTable {
public:
    static constexpr size_t kMinQuarantine = 1024;

    // True when this host has trampoline code (x86-64).
    static bool supported();
    // The callbacks' table, created on first use; throws Error(UNSUPPORTED) where not
    // supported. Its entry code records each call in the thread's callback record.
    static SlotTable& instance();
    // A second table for code addresses that are not callbacks (libffi invokers): its
    // trampolines jump straight to their target, recording nothing; throws as instance().
    static SlotTable& plain();

    // A slot calling thunk with the static chain set to it (the released-call trap while
    // thunk is null, until arm); owner identifies the callback's signature for the
    // released-call message. Throws Error(OUT_OF_MEMORY) if it cannot grow. dispose, when not
    // null, gets user_data once the slot leaves quarantine.
    SlotData* acquire(void* thunk, jiffi_handler handler, void* user_data, const void* owner,
                      void (*dispose)(void*) = nullptr);
    // The C function pointer of slot.
    void* code(const SlotData* slot) const;
    // Points a slot acquired without a target at target.
    static void arm(SlotData* slot, void* target) { slot->target.store(target, std::memory_order_release); }
    // Points slot at the released-call trap and puts it in quarantine.
    void release(SlotData* slot);
    // True when p is the data slot of a live callback of this table.
    bool is_live(const SlotData* p) const;

    // The slot's tag: one word its user keeps across the slot's reuse (the runtime keeps a
    // callback handle's generation and context there). Zero in a new slot; the table never
    // writes it. slot must be a data slot of some table.
    static std::atomic<uint64_t>& tag(const SlotData* slot) noexcept;
    // True when p lies where a trampoline's data slot would, in a chunk that contains it: a
    // check of its arithmetic (alignment, offset in the chunk), not of the chunk's existence.
    static bool is_slot_address(const void* p) noexcept;

    SlotTableStats stats() const;

    // Before fork(): takes the table's lock.
    void fork_prepare() noexcept { mu_.lock(); }
    // After fork(): releases it (in the parent and the child alike).
    void fork_release() noexcept { mu_.unlock(); }

private:
    explicit SlotTable(bool tracked) : tracked_(tracked) {}
    void grow();
    void recycle(std::vector<std::pair<void (*)(void*), void*>>& disposals);

    // A released batch waiting until no thread runs its callbacks; sorted once full.
    struct Batch {
        std::vector<SlotData*> slots;
    };

    const bool tracked_;  // entry code marks and registers callback calls
    mutable SpinLock mu_;
    std::vector<char*> chunks_;
    SlotData* free_ = nullptr;
    std::vector<Batch> quarantine_;  // oldest first; the last one is still filling
    size_t quarantined_ = 0;
    size_t capacity_ = 0;
    size_t live_ = 0;
    // Slots created with a dispose function, with their user data (kept here too, so that
    // leak checkers, which do not scan the mapped slots, see it referenced).
    std::unordered_map<const SlotData*, std::pair<void (*)(void*), void*>> disposers_;
};

// Reports a call through a released slot (naming its signature) and aborts; reached from
// the released-call trap with the slot.
extern "C" [[noreturn]] void jiffi_callbacks_released_call(const SlotData* slot);

// The signature text of a callback's owner record, for messages (set by the runtime).
using OwnerDescriber = const char* (*)(const void* owner);
void set_owner_describer(OwnerDescriber fn);

}  // namespace jiffi::detail
