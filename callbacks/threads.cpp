// Per-thread callback records in initial-exec TLS, their registry, and the grace check.
#include "callbacks/threads.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace jiffi::detail {

namespace {

// Initial-exec: the record sits at one fixed offset from the thread pointer in every thread,
// which is what lets a thunk address it with a constant.
__thread ThreadRecord tls_record __attribute__((tls_model("initial-exec")));

// The registered threads' records.
struct Registry {
    std::mutex mu;
    std::vector<ThreadRecord*> records;
    uint32_t next_serial = 1;
};

Registry& registry() {
    // Never destroyed: threads may exit after static destructors ran.
    static Registry* r = new Registry();
    return *r;
}

// Unregisters the thread's record when the thread exits.
struct ThreadExit {
    ~ThreadExit() {
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mu);
        auto it = std::find(r.records.begin(), r.records.end(), &tls_record);
        if (it != r.records.end()) r.records.erase(it);
        std::atomic_ref<uint32_t>(tls_record.registered).store(0, std::memory_order_relaxed);
    }
};

// The thread pointer of the calling thread.
char* thread_pointer() {
#if defined(__x86_64__)
    char* tp;
    asm("mov %%fs:0, %0" : "=r"(tp));
    return tp;
#elif defined(__aarch64__)
    char* tp;
    asm("mrs %0, tpidr_el0" : "=r"(tp));
    return tp;
#else
    return nullptr;
#endif
}

// Makes the stores of every thread of the process visible before the caller reads their
// records (thunks store their depth without a fence); false where the kernel cannot.
bool process_barrier() {
#ifdef __NR_membarrier
    static const bool registered =
        syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    if (registered) return syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
#endif
    return false;
}

}  // namespace

bool thread_record_offset(int64_t& offset) {
    char* tp = thread_pointer();
    if (!tp) return false;
    offset = reinterpret_cast<char*>(&tls_record) - tp;
    return true;
}

extern "C" void jiffi_callbacks_register_thread() {
    if (tls_record.registered) return;
    static thread_local ThreadExit on_exit;
    (void)&on_exit;
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    r.records.push_back(&tls_record);
    std::atomic_ref<uint32_t>(tls_record.registered).store(r.next_serial++, std::memory_order_relaxed);
    if (r.next_serial == 0) r.next_serial = 1;
}

CallbackScope::CallbackScope() {
    if (!tls_record.registered) jiffi_callbacks_register_thread();
    depth_ = tls_record.depth;
    std::atomic_ref<uint32_t>(tls_record.depth).store(depth_ + 1, std::memory_order_relaxed);
}

CallbackScope::~CallbackScope() {
    std::atomic_ref<uint32_t>(tls_record.depth).store(depth_, std::memory_order_relaxed);
    if (depth_ == 0) {
        std::atomic_ref<uint64_t> exits(tls_record.exits);
        exits.store(exits.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
}

InFlight snapshot_in_flight() {
    process_barrier();
    InFlight snap;
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    for (ThreadRecord* rec : r.records) {
        if (std::atomic_ref<uint32_t>(rec->depth).load(std::memory_order_relaxed) == 0) continue;
        snap.busy.push_back({rec, std::atomic_ref<uint32_t>(rec->registered).load(std::memory_order_relaxed),
                             std::atomic_ref<uint64_t>(rec->exits).load(std::memory_order_relaxed)});
    }
    return snap;
}

bool has_returned(const InFlight& snap) {
    if (snap.busy.empty()) return true;
    process_barrier();
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    for (const InFlight::Busy& b : snap.busy) {
        // A record no longer registered (or registered again) belongs to a thread that exited.
        auto* rec = const_cast<ThreadRecord*>(b.record);
        if (std::find(r.records.begin(), r.records.end(), rec) == r.records.end()) continue;
        if (std::atomic_ref<uint32_t>(rec->registered).load(std::memory_order_relaxed) != b.serial) continue;
        if (std::atomic_ref<uint32_t>(rec->depth).load(std::memory_order_relaxed) == 0) continue;
        if (std::atomic_ref<uint64_t>(rec->exits).load(std::memory_order_relaxed) != b.exits) continue;
        return false;
    }
    return true;
}

}  // namespace jiffi::detail
